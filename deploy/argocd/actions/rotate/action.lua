-- Argo CD action "rotate" for mai.dev/MaiClient: asks mai-operator for a new key by giving the annotation
-- mai.dev/rotate a new value, the current UTC time. The operator acts on any value it has not acted on
-- before (status.rotationRequest), at most once per 5 minutes; the old key is deleted once the
-- consumers run with the new one. Nothing else of the object changes.
local os = require("os")
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["mai.dev/rotate"] = os.date("!%Y-%m-%dT%H:%M:%SZ")
return obj
