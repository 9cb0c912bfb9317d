package io.learnbridge.camel;

import io.learnbridge.enrolment.EnrolmentRules;
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

    public EnrolmentApplier(Enrolments enrolments, EnrolmentRules rules, boolean enabled, int batchSize, int maxBatches) {
        if (batchSize < 1 || maxBatches < 1) {
            throw new IllegalArgumentException("learnbridge.enrolments.batchSize and maxBatches must be at least 1");
        }
        this.enrolments = enrolments;
        this.rules = rules;
        this.enabled = enabled;
        this.batchSize = batchSize;
        this.maxBatches = maxBatches;
    }

    /** Applies the rules to workers due; returns how many workers were settled (0 when disabled). */
    public int apply() {
        if (!enabled) {
            return 0;
        }
        int workers = 0;
        int changed = 0;
        for (int batch = 0; batch < maxBatches; batch++) {
            Enrolments.Applied applied = enrolments.applyDue(rules, batchSize);
            workers += applied.workers();
            changed += applied.changed().size();
            if (applied.workers() < batchSize) {
                break;
            }
        }
        if (workers > 0) {
            LOG.info("Enrolment rules {} applied to {} changed workers: {} had enrolments to make or undo", rules.file(), workers, changed);
        }
        return workers;
    }

    public EnrolmentRules rules() {
        return rules;
    }
}
