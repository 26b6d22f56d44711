-- Argo CD resource actions for mai.dev/MaiClient: which actions the menu offers for this object.
-- Lua 5.1 in Argo CD's sandbox: the base, table and package libraries and os.date/os.time only (no
-- string or math library). rotate is always offered; of disable-key and enable-key, only the one that
-- changes spec.disableKey (absent means false) can be run, the other is shown disabled.
local actions = {}
actions["rotate"] = {["displayName"] = "Rotate key", ["iconClass"] = "fa fa-fw fa-redo"}
actions["disable-key"] = {["displayName"] = "Disable key", ["iconClass"] = "fa fa-fw fa-pause-circle", ["disabled"] = true}
actions["enable-key"] = {["displayName"] = "Enable key", ["iconClass"] = "fa fa-fw fa-play-circle", ["disabled"] = true}

local disabled = obj.spec ~= nil and obj.spec.disableKey == true
if disabled then
  actions["enable-key"]["disabled"] = false
else
  actions["disable-key"]["disabled"] = false
end
return actions
