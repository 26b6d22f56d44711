package dev.mai.operator.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * Starts one {@link OpenRouterSimulator} for the operator-in-the-loop tests and points the operator
 * at it, over real HTTP, with a management key the simulator knows.
 */
public class SimulatorResource implements QuarkusTestResourceLifecycleManager {

    private static volatile OpenRouterSimulator simulator;
    private static volatile String managementKey;

    @Override
    public Map<String, String> start() {
        OpenRouterSimulator fresh = new OpenRouterSimulator();
        return use(fresh, fresh.newManagementKey());
    }

    /** Makes {@code given} the simulator of the tests and the operator, with {@code key} as the operator-wide key. */
    protected static Map<String, String> use(OpenRouterSimulator given, String key) {
        simulator = given;
        managementKey = key;
        return Map.of(
                "mai.openrouter-url", simulator.baseUrl(),
                "mai.provisioning-key", managementKey);
    }

    @Override
    public void stop() {
        if (simulator != null) {
            simulator.close();
        }
    }

    public static OpenRouterSimulator simulator() {
        return simulator;
    }

    public static String managementKey() {
        return managementKey;
    }
}
