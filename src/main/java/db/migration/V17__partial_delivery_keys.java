package db.migration;

import java.sql.Statement;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * PostgreSQL only: the outbox's two unique keys hold only the rows they are about. A delivery of a
 * drop row has no event, one of an event no drop row, yet each row had an entry in both keys, and
 * PostgreSQL writes an entry into every index for each new row version (a claim and a settle
 * change the status, which the claim index holds, so neither can be a heap-only update): a
 * delivery's insert, claim and settle wrote 4 index entries each. As partial indexes they write 3.
 * Uniqueness is as before (rows with a null key never conflicted), and every look-up by these keys
 * names the key (drop_id = ?, event_id = ?), which lets PostgreSQL use the partial index. H2 has no
 * partial indexes: left as it is.
 */
public class V17__partial_delivery_keys extends BaseJavaMigration {

    @Override
    public void migrate(Context context) throws Exception {
        if (!context.getConnection().getMetaData().getDatabaseProductName().startsWith("PostgreSQL")) {
            return;
        }
        try (Statement st = context.getConnection().createStatement()) {
            st.execute("create unique index uq_delivery_drop_line_target_v17 on delivery (drop_id, line, target) where drop_id is not null");
            st.execute("drop index uq_delivery_drop_line_target");
            st.execute("alter index uq_delivery_drop_line_target_v17 rename to uq_delivery_drop_line_target");
            st.execute("create unique index uq_delivery_event_target_v17 on delivery (event_id, target) where event_id is not null");
            st.execute("drop index uq_delivery_event_target");
            st.execute("alter index uq_delivery_event_target_v17 rename to uq_delivery_event_target");
        }
    }
}
