package db.migration;

import java.sql.Statement;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * H2 only: identity values of the tables written row by row (deliveries, events, exceptions,
 * enrolment changes) come from a cache of 1,000 instead of H2's 32. H2 writes its whole store
 * each time an identity cache runs out (a commit of its own): at 100k events that was a third of
 * processing them. H2's cache is one per database, so ids still follow insertion order (a crash
 * skips the rest of the cache: gaps, never reuse). PostgreSQL is left as it is: its caches are per
 * session, so ids would no longer follow the order rows were stored, which claims rely on.
 */
public class V14__h2_identity_cache extends BaseJavaMigration {

    @Override
    public void migrate(Context context) throws Exception {
        if (!context.getConnection().getMetaData().getDatabaseProductName().startsWith("H2")) {
            return;
        }
        try (Statement st = context.getConnection().createStatement()) {
            for (String table : new String[] {"delivery", "inbound_event", "exception_record", "enrolment_change"}) {
                st.execute("alter table " + table + " alter column id set cache 1000");
            }
        }
    }
}
