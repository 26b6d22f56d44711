package dev.mai.operator.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LoadState;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.compiler.LuaC;
import org.luaj.vm2.lib.PackageLib;
import org.luaj.vm2.lib.TableLib;
import org.luaj.vm2.lib.jse.JseBaseLib;
import org.luaj.vm2.lib.jse.JseOsLib;

/**
 * Runs deploy/argocd's Lua scripts the way Argo CD does: the object as the global {@code obj}, in a sandbox
 * with only what Argo CD opens (the base, package and table libraries, and an os library with nothing but
 * {@code date} and {@code time}; no string, math or io library), so a script that calls what Argo CD lacks
 * fails here too.
 */
final class ArgoCdLua {

    private ArgoCdLua() {
    }

    /** The script's result for {@code obj}, as Java maps, lists, strings, numbers (doubles) and booleans. */
    static Object run(Path script, Map<String, Object> obj) throws IOException {
        Globals globals = sandbox();
        globals.set("obj", lua(obj));
        Varargs result = globals.load(Files.readString(script), script.getFileName().toString()).invoke();
        return java(result.arg1());
    }

    private static Globals sandbox() {
        Globals globals = new Globals();
        globals.load(new JseBaseLib());
        globals.load(new PackageLib());
        globals.load(new TableLib());
        globals.load(new JseOsLib());
        LuaValue full = globals.get("os");
        LuaTable os = new LuaTable();
        os.set("date", full.get("date"));
        os.set("time", full.get("time"));
        globals.set("os", os);
        // require("os") answers the same restricted table, as Argo CD's preloaded safe os module does
        globals.get("package").get("loaded").set("os", os);
        LoadState.install(globals);
        LuaC.install(globals);
        return globals;
    }

    static LuaValue lua(Object value) {
        if (value instanceof Map<?, ?> map) {
            LuaTable t = new LuaTable();
            map.forEach((k, v) -> t.set(k.toString(), lua(v)));
            return t;
        }
        if (value instanceof List<?> list) {
            LuaTable t = new LuaTable();
            for (int i = 0; i < list.size(); i++) {
                t.set(i + 1, lua(list.get(i)));
            }
            return t;
        }
        if (value instanceof Number n) {
            return LuaValue.valueOf(n.doubleValue());
        }
        if (value instanceof Boolean b) {
            return LuaValue.valueOf(b);
        }
        return value == null ? LuaValue.NIL : LuaValue.valueOf(value.toString());
    }

    /** A table with the keys 1..n only is a list (as Argo CD turns it into JSON), any other table a map. */
    static Object java(LuaValue value) {
        if (value.istable()) {
            LuaTable table = value.checktable();
            int length = table.length();
            if (length > 0 && table.keyCount() == length) {
                List<Object> list = new ArrayList<>();
                for (int i = 1; i <= length; i++) {
                    list.add(java(table.get(i)));
                }
                return list;
            }
            Map<String, Object> map = new LinkedHashMap<>();
            for (LuaValue key : table.keys()) {
                map.put(key.tojstring(), java(table.get(key)));
            }
            return map;
        }
        if (value.isboolean()) {
            return value.toboolean();
        }
        if (value.type() == LuaValue.TNUMBER) {
            return value.todouble();
        }
        return value.isnil() ? null : value.tojstring();
    }
}
