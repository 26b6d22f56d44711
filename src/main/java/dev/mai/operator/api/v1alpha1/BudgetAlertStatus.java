package dev.mai.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import java.util.Objects;

/**
 * The budget alerts announced in one limit period against one limit: a threshold in {@code raised}
 * has had its event. A new period, or another limit, starts the record afresh. Immutable once built.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BudgetAlertStatus {

    @JsonPropertyDescription("End of the limit period these alerts belong to (status.nextLimitResetAt then, RFC 3339 time); absent "
            + "without limitReset, where the period is the key's lifetime.")
    private String periodEnds;

    @JsonPropertyDescription("The spending limit, USD, the thresholds were measured against.")
    private String limit;

    @JsonPropertyDescription("The thresholds (percent of limit) crossed and announced in this period, ascending.")
    private List<Integer> raised;

    public BudgetAlertStatus() {
    }

    public BudgetAlertStatus(String periodEnds, String limit, List<Integer> raised) {
        this.periodEnds = periodEnds;
        this.limit = limit;
        this.raised = raised == null ? null : List.copyOf(raised);
    }

    public String getPeriodEnds() {
        return periodEnds;
    }

    public void setPeriodEnds(String periodEnds) {
        this.periodEnds = periodEnds;
    }

    public String getLimit() {
        return limit;
    }

    public void setLimit(String limit) {
        this.limit = limit;
    }

    public List<Integer> getRaised() {
        return raised;
    }

    public void setRaised(List<Integer> raised) {
        this.raised = raised;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BudgetAlertStatus b && Objects.equals(periodEnds, b.periodEnds) && Objects.equals(limit, b.limit)
                && Objects.equals(raised, b.raised);
    }

    @Override
    public int hashCode() {
        return Objects.hash(periodEnds, limit, raised);
    }

    @Override
    public String toString() {
        return "BudgetAlertStatus{periodEnds=" + periodEnds + ", limit=" + limit + ", raised=" + raised + "}";
    }
}
