package io.learnbridge.bench;

import java.util.Arrays;
import java.util.Random;

/**
 * The change mix of the generated HR snapshots (benchmark --diff and benchmark-sync): one changed row
 * of an active worker is a manager move (25%), a department move (15%), a job move (10%), an email
 * update (30%) or a termination (20%). Applied in place to the row's fields.
 */
public final class ChangeMix {

    /** What a change did to the row. */
    public enum Kind { MANAGER_MOVE, DEPARTMENT_MOVE, JOB_MOVE, EMAIL_UPDATE, STATUS_LEAVE }

    private static final String[] DEPARTMENTS = HrisCsvGenerator.departments();

    private ChangeMix() {
    }

    /**
     * Changes one field group of {@code fields}.
     *
     * @param maxId       the highest worker number a new manager id is drawn from
     * @param emailSuffix what an updated email gets before its {@code @} (e.g. the day, {@code .2})
     */
    public static Kind apply(String[] fields, Random random, int maxId, String emailSuffix) {
        int kind = random.nextInt(100);
        if (kind < 25) {
            String manager = fields[HrisCsvGenerator.MANAGER_ID];
            String next;
            do {
                next = HrisCsvGenerator.id(1 + random.nextInt(maxId));
            } while (next.equals(manager));
            fields[HrisCsvGenerator.MANAGER_ID] = next;
            return Kind.MANAGER_MOVE;
        }
        if (kind < 40) {
            int d = Arrays.asList(DEPARTMENTS).indexOf(fields[HrisCsvGenerator.DEPARTMENT]);
            fields[HrisCsvGenerator.DEPARTMENT] = DEPARTMENTS[Math.floorMod(d + 1 + random.nextInt(DEPARTMENTS.length - 1), DEPARTMENTS.length)];
            return Kind.DEPARTMENT_MOVE;
        }
        if (kind < 50) {
            String[] job;
            do {
                job = HrisCsvGenerator.job(random.nextInt(HrisCsvGenerator.jobs()));
            } while (job[1].equals(fields[HrisCsvGenerator.JOB_TITLE].strip()));
            fields[HrisCsvGenerator.JOB_CODE] = job[0];
            fields[HrisCsvGenerator.JOB_TITLE] = job[1];
            return Kind.JOB_MOVE;
        }
        if (kind < 80) {
            String email = fields[HrisCsvGenerator.EMAIL];
            int at = email.indexOf('@');
            fields[HrisCsvGenerator.EMAIL] = email.substring(0, at) + emailSuffix + email.substring(at);
            return Kind.EMAIL_UPDATE;
        }
        fields[HrisCsvGenerator.STATUS] = "T";
        return Kind.STATUS_LEAVE;
    }
}
