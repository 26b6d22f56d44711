package dev.mai.operator.app;

/**
 * What the application's objects take besides the MaiClient: the Secret they read and its revision.
 * The reconcile puts it in the workflow context after the Secret is written, then runs the workflow.
 */
public record AppInputs(String secretName, String revision) {
}
