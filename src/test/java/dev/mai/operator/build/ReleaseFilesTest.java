package dev.mai.operator.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * What {@code make release} ships besides the build's outputs: the CHANGELOG has a section for the
 * version being built, the license the pom declares is the LICENSE file's, and the SBOM plugin is
 * configured for what runs in the image (no test dependencies) and runs only when asked for.
 */
class ReleaseFilesTest {

    private static final Path POM = Path.of("pom.xml");

    @Test
    void theChangelogHasASectionForThePomsVersion() throws Exception {
        String version = childText(pom(), "version").replaceFirst("-SNAPSHOT$", "");
        List<String> sections = Files.readAllLines(Path.of("CHANGELOG.md")).stream()
                .filter(line -> line.startsWith("## ")).toList();

        assertThat(sections).as("CHANGELOG.md's sections; the pom's version is " + version)
                .anyMatch(line -> line.startsWith("## [" + version + "] - "));
    }

    @Test
    void thePomDeclaresTheLicenseOfTheLicenseFile() throws Exception {
        Element license = only(pom(), "licenses", "license");
        List<String> text = Files.readAllLines(Path.of("LICENSE")).stream().map(String::strip)
                .filter(line -> !line.isEmpty()).limit(2).toList();

        assertThat(childText(license, "name")).isEqualTo("Apache-2.0");
        assertThat(text).containsExactly("Apache License", "Version 2.0, January 2004");
    }

    @Test
    void theSbomCoversCompileAndRuntimeDependenciesOnlyAndRunsOnlyWhenAskedFor() throws Exception {
        Element plugin = plugin(pom(), "org.cyclonedx", "cyclonedx-maven-plugin");
        Map<String, String> config = new TreeMap<>();
        NodeList settings = only(plugin, "configuration").getChildNodes();
        for (int i = 0; i < settings.getLength(); i++) {
            if (settings.item(i) instanceof Element setting) {
                config.put(setting.getTagName(), setting.getTextContent().strip());
            }
        }

        assertThat(config).containsEntry("outputFormat", "json")
                .containsEntry("includeCompileScope", "true").containsEntry("includeRuntimeScope", "true")
                .containsEntry("includeTestScope", "false").containsEntry("includeProvidedScope", "false")
                .containsEntry("includeSystemScope", "false");
        assertThat(childText(plugin, "version")).as("the plugin's version is pinned").isNotBlank();
        assertThat(children(plugin, "executions")).as("bound to no phase: only build/release.sh runs it").isEmpty();
    }

    private static Element pom() throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(POM.toFile()).getDocumentElement();
    }

    private static Element plugin(Element project, String groupId, String artifactId) {
        List<Element> matching = children(only(project, "build", "plugins"), "plugin").stream()
                .filter(p -> groupId.equals(childText(p, "groupId")) && artifactId.equals(childText(p, "artifactId")))
                .toList();
        assertThat(matching).as(groupId + ":" + artifactId + " in the pom's build plugins").hasSize(1);
        return matching.get(0);
    }

    private static Element only(Element parent, String... path) {
        Element current = parent;
        for (String name : path) {
            List<Element> found = children(current, name);
            assertThat(found).as("<" + name + "> under <" + current.getTagName() + ">").hasSize(1);
            current = found.get(0);
        }
        return current;
    }

    private static String childText(Element parent, String name) {
        List<Element> found = children(parent, name);
        return found.isEmpty() ? "" : found.get(0).getTextContent().strip();
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> found = new ArrayList<>();
        for (Node child = parent.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child instanceof Element element && element.getTagName().equals(name)) {
                found.add(element);
            }
        }
        return found;
    }
}
