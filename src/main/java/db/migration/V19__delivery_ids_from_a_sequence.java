package db.migration;

import java.sql.ResultSet;
import java.sql.Statement;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * A delivery's id comes from the sequence {@code delivery_id_seq} instead of the column's own
 * identity, so that a claim can take ids for the rows of a drop's ranges (V18) before those rows
 * exist: each row is handed to its adapter under the id its delivery is stored with once its
 * outcome is known, and an exception or a replay names the same id the adapter saw. Inserts that
 * give no id take the next value as before, in insertion order (H2: a cache of 1,000, as V14 gave
 * the identity; PostgreSQL: no cache, so ids follow the order rows are stored in, which claims
 * rely on).
 */
public class V19__delivery_ids_from_a_sequence extends BaseJavaMigration {

    @Override
    public void migrate(Context context) throws Exception {
        boolean h2 = context.getConnection().getMetaData().getDatabaseProductName().startsWith("H2");
        try (Statement st = context.getConnection().createStatement()) {
            long next;
            try (ResultSet rs = st.executeQuery("select coalesce(max(id), 0) + 1 from delivery")) {
                rs.next();
                next = rs.getLong(1);
            }
            // PostgreSQL: dropping the identity drops its sequence, which had this name
            st.execute("alter table delivery alter column id drop identity");
            st.execute("create sequence delivery_id_seq start with " + next + (h2 ? " cache 1000" : ""));
            st.execute("alter table delivery alter column id set default " + (h2 ? "next value for delivery_id_seq" : "nextval('delivery_id_seq')"));
            if (!h2) {
                st.execute("alter sequence delivery_id_seq owned by delivery.id");
            }
        }
    }
}
