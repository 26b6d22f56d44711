package dev.mai.operator.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaCall.Predicates.target;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.properties.HasName.Predicates.name;
import static com.tngtech.archunit.core.domain.properties.HasName.Predicates.nameMatching;
import static com.tngtech.archunit.core.domain.properties.HasOwner.Predicates.With.owner;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.util.Arrays;
import java.util.stream.Stream;

/**
 * Who may import whom in {@code src/main}: the layering docs/development.md's code map describes. Pure rules
 * ({@code core}) know no framework; the operator ({@code reconciler}) is imported by nothing; the
 * {@code mai-env} command ({@code env}) shares {@code core} with it and never reaches into it; no
 * package cycles. The plan and the status builder know only plain values, and conditions are set in
 * one class. ArchUnit reads bytecode: a constant the compiler inlined (a {@code static final String})
 * leaves no trace there, so an import used only for such a constant is not seen.
 */
@AnalyzeClasses(packages = ArchitectureTest.ROOT, importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    static final String ROOT = "dev.mai.operator";

    /** Frameworks the pure packages must not touch: the Kubernetes client, the operator SDK, CDI, Quarkus, metrics, logging. */
    private static final String[] FRAMEWORKS = {"io.fabric8.kubernetes.client..", "io.javaoperatorsdk..", "jakarta..",
        "io.quarkus..", "io.micrometer..", "org.jboss..", "org.eclipse.microprofile..", "io.smallrye..", "picocli.."};

    @ArchTest
    static final ArchRule apiImportsNothingOfOurs = onlyOurs("api");

    @ArchTest
    static final ArchRule configImportsNothingOfOurs = onlyOurs("config");

    @ArchTest
    static final ArchRule openRouterImportsOnlyConfig = onlyOurs("openrouter", "config");

    @ArchTest
    static final ArchRule coreImportsOnlyTheModelAndThePort = onlyOurs("core", "api", "openrouter");

    @ArchTest
    static final ArchRule coreKnowsNoFramework = noClasses().that().resideInAPackage(pkg("core"))
            .should().dependOnClassesThat().resideInAnyPackage(FRAMEWORKS)
            .because("the key rules, the environment and the validation are shared by both front ends and unit-tested alone");

    @ArchTest
    static final ArchRule appImportsModelConfigCore = onlyOurs("app", "api", "config", "core");

    @ArchTest
    static final ArchRule haImportsModelConfigCore = onlyOurs("ha", "api", "config", "core");

    @ArchTest
    static final ArchRule envSharesCoreNotTheOperator = onlyOurs("env", "core", "openrouter", "config", "api");

    @ArchTest
    static final ArchRule nothingImportsTheReconciler = noClasses().that().resideOutsideOfPackages(pkg("reconciler"), ROOT)
            .should().dependOnClassesThat().resideInAPackage(pkg("reconciler"))
            .as("nothing imports the reconciler")
            .because("the operator is a front end: what another package needs of it belongs in core");

    @ArchTest
    static final ArchRule nothingImportsTheEntryPoint = noClasses().that().resideOutsideOfPackage(ROOT)
            .should().dependOnClassesThat().resideInAPackage(ROOT)
            .because("the entry point starts the front ends; a package that imports it closes a cycle");

    /** The decisions and the status: what they may know of the operator's own classes (all plain values). */
    private static final String DECISIONS = ROOT + "\\.reconciler\\.(KeyPlan|StatusBuilder)(\\$.*)?";
    private static final String PLAIN = "(\\[+L)?" + ROOT + "\\.reconciler\\.(KeyPlan|StatusBuilder|Conditions|Observation|SweepGap|Rollout|Waits)"
            + "(\\$.*)?";

    @ArchTest
    static final ArchRule decisionsArePure = classes().that().haveNameMatching(DECISIONS)
            .should().onlyDependOnClassesThat(resideInAnyPackage("java..", "io.fabric8.kubernetes.api.model..", pkg("api"),
                    pkg("core"), pkg("openrouter")).or(nameMatching(PLAIN)))
            .as("KeyPlan and StatusBuilder depend only on plain values: the model, core, the port's records and the "
                    + "condition primitives")
            .because("the plan and the status builder decide from plain records: table-tested without a client, JOSDK or OpenRouter");

    @ArchTest
    static final ArchRule conditionsAreSetInOnePlace = noClasses()
            .that().haveNameNotMatching(ROOT + "\\.reconciler\\.(StatusBuilder|SweepGap|Conditions)(\\$.*)?")
            .should().callMethodWhere(target(nameMatching("set|remove|initialise|blockedBy|deriveReady"))
                    .and(target(owner(name(ROOT + ".reconciler.Conditions")))))
            .as("only StatusBuilder sets conditions (SweepGap annotates KeyValid's message)");

    @ArchTest
    static final ArchRule noPackageCycles = slices().matching(ROOT + ".(*)..").should().beFreeOfCycles();

    /** Classes of {@code layer} depend on no package of ours but their own and {@code allowed}. */
    private static ArchRule onlyOurs(String layer, String... allowed) {
        String[] ours = Stream.concat(Stream.of(layer), Arrays.stream(allowed)).map(ArchitectureTest::pkg).toArray(String[]::new);
        return classes().that().resideInAPackage(pkg(layer))
                .should().onlyDependOnClassesThat(not(resideInAPackage(ROOT + "..")).or(resideInAnyPackage(ours)))
                .as(layer + " imports no package of ours but " + (allowed.length == 0 ? "itself" : String.join(", ", allowed)));
    }

    private static String pkg(String name) {
        return ROOT + "." + name + "..";
    }
}
