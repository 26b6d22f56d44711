package dev.mai.operator.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.api.v1alpha1.MaiClient;
import io.fabric8.kubernetes.api.model.PodSpec;
import org.junit.jupiter.api.Test;

/** spec.app.securityProfile: restricted by default and when named; baseline relaxes only what a root image needs. */
class AppSecurityTest {

    private static PodSpec pod(String profile) {
        MaiClient client = AppResourcesTest.client(null);
        client.getSpec().getApp().setSecurityProfile(profile);
        return AppResources.deployment(client, "abc-env", "r1").getSpec().getTemplate().getSpec();
    }

    @Test
    void restrictedNamedIsTheSamePodAsTheDefault() {
        assertThat(pod("restricted")).isEqualTo(pod(null));
        assertThat(AppSecurity.relaxation(AppResourcesTest.client(null).getSpec().getApp())).isEmpty();
    }

    @Test
    void baselineLetsTheImageRunAsRootWithTheRuntimesCapabilitiesAndKeepsTheRest() {
        PodSpec pod = pod("baseline");
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isNull();
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(pod.getSecurityContext().getFsGroup()).isEqualTo(pod(null).getSecurityContext().getFsGroup());
        var context = pod.getContainers().get(0).getSecurityContext();
        assertThat(context.getRunAsNonRoot()).isNull();
        assertThat(context.getCapabilities()).as("the runtime's default capabilities").isNull();
        assertThat(context.getAllowPrivilegeEscalation()).isFalse();
        assertThat(context.getPrivileged()).isNull();
        MaiClient client = AppResourcesTest.client(null);
        client.getSpec().getApp().setSecurityProfile("baseline");
        assertThat(AppSecurity.relaxation(client.getSpec().getApp())).hasValueSatisfying(m -> assertThat(m).contains("baseline", "root"));
    }
}
