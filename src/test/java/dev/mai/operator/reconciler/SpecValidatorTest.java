package dev.mai.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.InvalidSpecs;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class SpecValidatorTest {

    private final SpecValidator validator = new SpecValidator(Optional.empty());

    static Stream<InvalidSpecs.Case> invalid() {
        return InvalidSpecs.all().stream();
    }

    private static MaiClient valid() {
        MaiClient c = Clients.maiClient("ns", "abc", "ABC Company Sp. z o.o.", "1000.0");
        c.getMetadata().setUid("8f3f4c52-2a57-4bde-9d7b-0e1f0a6b1c2d");
        return c;
    }

    @Test
    void tableHasAtLeast25Cases() {
        assertThat(InvalidSpecs.all()).hasSizeGreaterThanOrEqualTo(25);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void invalidSpecNamesTheField(InvalidSpecs.Case c) {
        MaiClient client = Clients.with(valid(), c.breakIt());
        List<SpecValidator.Violation> violations = validator.validate(client);
        assertThat(violations).extracting(SpecValidator.Violation::field).containsExactly(c.field());
        assertThat(violations.get(0).rule()).isNotBlank();
    }

    @ParameterizedTest
    @ValueSource(strings = {"ABC Company Sp. z o.o.", "O'Brien & Sons", "Say \"hi\" $5 `x`", "C:\\Temp\\x", "Zażółć gęślą jaźń",
            "日本語の会社", "#1 Company", "abc", "a\\\\b $x"})
    void validNamesPass(String name) {
        // a doubled backslash with $ has no quoting that all readers agree on
        boolean expectInvalid = name.contains("\\\\") && name.contains("$");
        MaiClient client = Clients.with(valid(), s -> s.setOrganizationName(name));
        assertThat(validator.validate(client).isEmpty()).isEqualTo(!expectInvalid);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1000", "1000.0", "12.50", "0.01", "unlimited", "999999999999.99"})
    void validLimitsPass(String limit) {
        MaiClient client = Clients.with(valid(), s -> s.setSpendingLimit(new IntOrString(limit)));
        assertThat(validator.validate(client)).isEmpty();
    }

    @Test
    void integerLimitPasses() {
        MaiClient client = Clients.with(valid(), s -> s.setSpendingLimit(new IntOrString(1000)));
        assertThat(validator.validate(client)).isEmpty();
    }

    @Test
    void fullValidSpecPasses() {
        MaiClient client = Clients.with(valid(), s -> {
            s.setLimitReset("monthly");
            s.setExternalUser("mai_client_abc.1-x");
            s.setDeletionPolicy("Retain");
            s.setDisableKey(false);
            s.setSecret(Clients.secret("abc-openrouter", Map.of("team", "sales", "example.com/tier", "gold"),
                    Map.of("note", "anything at all")));
        });
        assertThat(validator.validate(client)).isEmpty();
    }

    @Test
    void maxSpendingLimitCapsLimitsAndForbidsUnlimited() {
        SpecValidator capped = new SpecValidator(Optional.of(new BigDecimal("500")));
        assertThat(capped.validate(Clients.with(valid(), s -> s.setSpendingLimit(new IntOrString("500.00"))))).isEmpty();
        assertThat(capped.validate(Clients.with(valid(), s -> s.setSpendingLimit(new IntOrString("500.01")))))
                .extracting(SpecValidator.Violation::field).containsExactly("spec.spendingLimit");
        assertThat(capped.validate(Clients.with(valid(), s -> s.setSpendingLimit(new IntOrString("unlimited")))))
                .singleElement().satisfies(v -> assertThat(v.rule()).contains("500.00"));
    }

    @Test
    void missingSpecIsReported() {
        MaiClient client = valid();
        client.setSpec(null);
        assertThat(validator.validate(client)).extracting(SpecValidator.Violation::field).containsExactly("spec");
    }

    @Test
    void everyViolationIsReportedAtOnce() {
        MaiClient client = Clients.with(valid(), s -> {
            s.setOrganizationName("x");
            s.setSpendingLimit(new IntOrString("-1"));
            s.setLimitReset("hourly");
        });
        assertThat(validator.validate(client)).extracting(SpecValidator.Violation::field)
                .containsExactly("spec.organizationName", "spec.spendingLimit", "spec.limitReset");
    }
}
