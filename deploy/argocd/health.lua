-- Argo CD health check for mai.dev/MaiClient (Lua 5.1, as Argo CD runs it).
-- Progressing: the operator has not reconciled the current generation, a key rotation is under way,
--              or Ready is not known yet / False for a reason that heals by itself.
-- Degraded:    Ready=False for a reason that needs a person (see TERMINAL below), or a rotation
--              whose rollout is stuck (Rotating=True, RolloutStuck).
-- Suspended:   the key is disabled by spec.disableKey (the billing brake, as asked), the
--              MaiClient is paused (annotation mai.dev/paused: "true", condition Paused=True), or its
--              budget for the period is spent (LimitExhausted: see WAITING below).
-- Healthy:     Ready=True for the current generation.
local TERMINAL = {
  InvalidSpec = true,
  ProvisioningKeyMissing = true,
  ProvisioningKeyRejected = true,
  ProvisioningKeyChanged = true,
  KeyOwnedElsewhere = true,
  InsufficientCredits = true,
  OpenRouterRejected = true,
  SecretConflict = true,
  SecretWriteFailed = true,
  AppRejected = true,
  KeyDisabledOutside = true,
  RolloutStuck = true,
  AdoptionRefused = true
}
-- The operator's other terminal reasons (kstatus Stalled): they end at an event that comes by itself or
-- is a business decision, not an on-call fix. LimitExhausted ends at the limit's reset or with a higher
-- spec.spendingLimit; Degraded would page a GitOps on-call for a budget doing its job. kstatus has no
-- state for "waiting for an event", Argo CD has Suspended. TERMINAL and WAITING together are the
-- operator's list (a test holds them to it).
local WAITING = {
  LimitExhausted = true
}

local hs = {}
if obj.status == nil or obj.status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for mai-operator to reconcile this MaiClient"
  return hs
end

local generation = obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and (observed == nil or observed < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for mai-operator to reconcile generation " .. tostring(generation)
  return hs
end

local ready = nil
local rotating = nil
local paused = nil
for _, condition in ipairs(obj.status.conditions) do
  if condition.type == "Ready" then
    ready = condition
  elseif condition.type == "Rotating" then
    rotating = condition
  elseif condition.type == "Paused" then
    paused = condition
  end
end

if paused ~= nil and paused.status == "True" then
  hs.status = "Suspended"
  hs.message = "Paused: " .. tostring(paused.message or "")
  return hs
end

if rotating ~= nil and rotating.status == "True" and rotating.reason == "RolloutStuck" then
  hs.status = "Degraded"
  hs.message = "RolloutStuck: " .. tostring(rotating.message or "")
  return hs
end

if rotating ~= nil and rotating.status == "True" then
  hs.status = "Progressing"
  hs.message = "Rotating the OpenRouter key: " .. tostring(rotating.message or "")
  return hs
end

if ready == nil or ready.status == nil or ready.status == "Unknown" then
  hs.status = "Progressing"
  hs.message = "Waiting for the OpenRouter key and its Secret"
  return hs
end

if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = tostring(ready.message or "Ready")
  return hs
end

local reason = tostring(ready.reason or "")
if reason == "KeyDisabled" or WAITING[reason] then
  hs.status = "Suspended"
elseif TERMINAL[reason] then
  hs.status = "Degraded"
else
  hs.status = "Progressing"
end
hs.message = reason .. ": " .. tostring(ready.message or "")
return hs
