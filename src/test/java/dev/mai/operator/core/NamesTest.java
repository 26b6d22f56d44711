package dev.mai.operator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.ha.InstallationId;
import dev.mai.operator.testing.Clients;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.junit.jupiter.api.Test;

class NamesTest {

    private static final String UID = "8f3f4c52-2a57-4bde-9d7b-0e1f0a6b1c2d";
    private static final String OTHER_UID = "11111111-2222-4333-8444-555555555555";

    private static MaiClient client(String org) {
        MaiClient c = Clients.maiClient("tenant-abc", "abc", org, "10");
        c.getMetadata().setUid(UID);
        return c;
    }

    @Test
    void defaultExternalUserIsMd5PrefixOfTheOrganization() throws Exception {
        String org = "ABC Company Sp. z o.o.";
        byte[] md5 = MessageDigest.getInstance("MD5").digest(org.getBytes(StandardCharsets.UTF_8));
        StringBuilder hex = new StringBuilder();
        for (byte b : md5) {
            hex.append(String.format("%02x", b));
        }
        assertThat(Names.defaultExternalUser(org)).isEqualTo("mai_client_" + hex.substring(0, 8));
    }

    @Test
    void keyNameStartsReadableAndEndsWithTheSuffix() {
        String name = Names.keyName(client("ABC Company Sp. z o.o."), "inst1", false);
        assertThat(name).isEqualTo("mAI Client: ABC Company Sp. z o.o. (tenant-abc/abc) [mai:inst1:" + UID + "]");
        assertThat(Names.keyOwner(name)).contains(new Names.KeyOwner("inst1", UID, false));
    }

    @Test
    void theNamespaceOfAKeyNameIsItsReferencesUnlessShortenedIntoIt() {
        assertThat(Names.keyNamespace(Names.keyName(client("ABC Company"), "inst1", false))).contains("tenant-abc");
        // a tenant's organization cannot pose as the reference: only the one right before the suffix counts
        assertThat(Names.keyNamespace(Names.keyName(client("Evil (victim/x)"), "inst1", false))).contains("tenant-abc");
        String longNamespace = "n".repeat(63);
        String cut = Names.keyName("O".repeat(Names.MAX_ORGANIZATION_IN_NAME), longNamespace + "/client", "inst1", UID, false);
        assertThat(cut).contains("...");
        assertThat(Names.keyNamespace(cut)).isEmpty();
        assertThat(Names.keyNamespace(Names.keyName("Co", longNamespace + "/" + "c".repeat(200), "inst1", UID, false)))
                .contains(longNamespace);
        assertThat(Names.keyNamespace("some key someone made")).isEmpty();
    }

    @Test
    void forgedSuffixInTheOrganizationParsesToThisClient() {
        String org = "Evil [mai:other:" + OTHER_UID + "]";
        String name = Names.keyName(client(org), "inst1", false);
        assertThat(Names.keyOwner(name)).contains(new Names.KeyOwner("inst1", UID, false));
        assertThat(name).doesNotContain("[mai:other");
    }

    @Test
    void longNamesStayWithin200CodePointsAndParse() {
        MaiClient c = client("Ż".repeat(200));
        c.getMetadata().setNamespace("n".repeat(63));
        c.getMetadata().setName("m".repeat(253));
        String name = Names.keyName(c, "i".repeat(32), false);
        assertThat(name.codePointCount(0, name.length())).isLessThanOrEqualTo(Names.MAX_KEY_NAME);
        assertThat(Names.keyOwner(name)).contains(new Names.KeyOwner("i".repeat(32), UID, false));
        String retained = Names.retainedKeyName(name, "i".repeat(32), UID);
        assertThat(retained.codePointCount(0, retained.length())).isLessThanOrEqualTo(Names.MAX_KEY_NAME);
        assertThat(Names.keyOwner(retained)).contains(new Names.KeyOwner("i".repeat(32), UID, true));
    }

    @Test
    void retainedNameKeepsTheReadablePart() {
        String name = Names.keyName(client("ABC"), "inst1", false);
        assertThat(Names.retainedKeyName(name, "inst1", UID))
                .isEqualTo("mAI Client: ABC (tenant-abc/abc) [mai:inst1:" + UID + ":retained]");
    }

    @Test
    void namesWithoutSuffixBelongToNobody() {
        assertThat(Names.keyOwner("my personal key")).isEmpty();
        assertThat(Names.keyOwner("x [mai:inst1:" + UID + "] trailing")).isEmpty();
        assertThat(Names.keyOwner(null)).isEmpty();
    }

    @Test
    void secretNameDefaultsToNameDashEnv() {
        MaiClient c = client("ABC");
        assertThat(Names.secretName(c)).isEqualTo("abc-env");
        c.getSpec().setSecret(Clients.secret("custom", null, null));
        assertThat(Names.secretName(c)).isEqualTo("custom");
    }

    @Test
    void theMaiEnvCommandsKeysCarryAnInstallationIdNoOperatorMayUse() {
        String name = Names.keyName("ABC [Company]", "mai-env on host[1]", Names.ENV_INSTALLATION, UID, false);
        assertThat(name).isEqualTo("mAI Client: ABC Company (mai-env on host1) [mai:mai-env:" + UID + "]");
        assertThat(Names.keyOwner(name)).contains(new Names.KeyOwner(Names.ENV_INSTALLATION, UID, false));
        assertThatThrownBy(() -> InstallationId.checked(Names.ENV_INSTALLATION, "MAI_INSTALLATION_ID"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("must not be mai-env");
        assertThat(InstallationId.checked("mai-env2", "MAI_INSTALLATION_ID")).isEqualTo("mai-env2");
    }
}
