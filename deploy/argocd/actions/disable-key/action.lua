-- Argo CD action "disable-key" for mai.dev/MaiClient: the billing brake. spec.disableKey: true makes
-- mai-operator disable the key on OpenRouter (it stays in the Secret; requests with it are refused).
-- If Git sets spec.disableKey too, self-heal puts Git's value back (docs/argocd.md).
obj.spec.disableKey = true
return obj
