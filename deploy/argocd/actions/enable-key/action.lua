-- Argo CD action "enable-key" for mai.dev/MaiClient: releases the brake of disable-key
-- (spec.disableKey: false); mai-operator enables the key on OpenRouter again.
obj.spec.disableKey = false
return obj
