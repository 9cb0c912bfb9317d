package io.learnbridge.enrolment;

import io.learnbridge.enrolment.EnrolmentRules;
import io.learnbridge.gate.GatePolicy;
import io.learnbridge.store.EnrolmentRulesLedger;
import io.learnbridge.store.Enrolments;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bean {@code enrolmentApplier} (route {@code apply-enrolments}): applies the deployed enrolment
 * rules ({@code mappings/enrolment/rules.yaml}, read once at startup; no file, no rules) to the
 * workers whose state changed since the rules last looked at them: a joiner gets the curricula of
 * the role, a mover gains and (policy {@code onMove: unenrol}) loses, a leaver loses (policy
 * {@code onLeave: unenrol}). Each batch is one transaction ({@link Enrolments#applyDue}); a
 * poll applies batches until none is left or {@code maxBatches} are done, so a drop of a million
 * joiners is worked off in the background, never inside the drop's own transaction.
 */
public final class EnrolmentApplier {

    private static final Logger LOG = LoggerFactory.getLogger(EnrolmentApplier.class);

    private final Enrolments enrolments;
    private final EnrolmentRules rules;
    private final boolean enabled;
    private final int batchSize;
    private final int maxBatches;
    private final EnrolmentRulesLedger ledger;
    private final GatePolicy gate;
    /** Whether the deployed rules were reconciled with the store since startup. */
    private boolean reconciled;
    /** The rules live enrolment applies: those applied last to every worker (a quarantined change waits). */
    private EnrolmentRules effective;
    private String effectiveChecksum;

    /** Applies {@code rules} as they are, without a ledger of applied versions (tests of the live path). */
    public EnrolmentApplier(Enrolments enrolments, EnrolmentRules rules, boolean enabled, int batchSize, int maxBatches) {
        this(enrolments, rules, enabled, batchSize, maxBatches, null, null);
    }

    /**
     * @param ledger which rules every stored worker is in step with: at the first poll the deployed
     *               rules are applied to every stored worker when they changed, behind {@code gate}
     * @param gate   the safety gate's thresholds for a rules change (learnbridge.gate.*)
     */
    public EnrolmentApplier(Enrolments enrolments, EnrolmentRules rules, boolean enabled, int batchSize, int maxBatches,
                            EnrolmentRulesLedger ledger, GatePolicy gate) {
        if (batchSize < 1 || maxBatches < 1) {
            throw new IllegalArgumentException("learnbridge.enrolments.batchSize and maxBatches must be at least 1");
        }
        this.enrolments = enrolments;
        this.rules = rules;
        this.enabled = enabled;
        this.batchSize = batchSize;
        this.maxBatches = maxBatches;
        this.ledger = ledger;
        this.gate = gate;
        this.effective = rules;
    }

    /**
     * Applies the rules to workers due; returns how many workers were settled (0 when disabled).
     * The first poll after startup first reconciles the deployed rules with the store (a changed
     * file reaches every stored worker, or is quarantined); every poll then applies the rules the
     * store says are applied, which an operator's approval may have just changed.
     */
    public int apply() {
        if (!enabled) {
            return 0;
        }
        if (ledger != null) {
            if (!reconciled) {
                EnrolmentRulesLedger.Outcome outcome = ledger.reconcile(rules, gate, "startup");
                if (outcome.version().status().equals("APPLIED")) {
                    LOG.info("{}", outcome.describe());
                } else {
                    LOG.error("{}", outcome.describe());
                }
                reconciled = true;
            }
            String applied = ledger.appliedChecksum();
            if (!java.util.Objects.equals(applied, effectiveChecksum)) {
                effective = ledger.applied().orElse(EnrolmentRules.none());
                effectiveChecksum = applied;
                LOG.info("Live enrolment applies the rules {} ({})", effective.file(), applied == null ? "none applied yet" : applied);
            }
        }
        int workers = 0;
        int changed = 0;
        for (int batch = 0; batch < maxBatches; batch++) {
            Enrolments.Applied applied = enrolments.applyDue(effective, batchSize);
            workers += applied.workers();
            changed += applied.changed().size();
            if (applied.workers() < batchSize) {
                break;
            }
        }
        if (workers > 0) {
            LOG.info("Enrolment rules {} applied to {} changed workers: {} had enrolments to make or undo", effective.file(), workers, changed);
        }
        return workers;
    }

    public EnrolmentRules rules() {
        return rules;
    }
}
