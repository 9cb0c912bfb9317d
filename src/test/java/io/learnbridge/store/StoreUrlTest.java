package io.learnbridge.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StoreUrlTest {

    @Test
    void anH2UrlKeepsMoreCompiledStatementsPerSessionButNoLastResultsIsClosedByTheBridgeAndWritesNoTraceFileUnlessItSaysOtherwise() {
        assertThat(Store.withH2Defaults("jdbc:h2:file:./data/learnbridge;WRITE_DELAY=0;AUTO_SERVER=TRUE"))
                .isEqualTo("jdbc:h2:file:./data/learnbridge;WRITE_DELAY=0;AUTO_SERVER=TRUE;QUERY_CACHE_SIZE=64;OPTIMIZE_REUSE_RESULTS=0;TRACE_LEVEL_FILE=0");
        assertThat(Store.withH2Defaults("jdbc:h2:file:./data/learnbridge;WRITE_DELAY=0")).as("H2 refuses it with AUTO_SERVER")
                .isEqualTo("jdbc:h2:file:./data/learnbridge;WRITE_DELAY=0;QUERY_CACHE_SIZE=64;OPTIMIZE_REUSE_RESULTS=0;DB_CLOSE_ON_EXIT=FALSE;TRACE_LEVEL_FILE=0");
        assertThat(Store.withH2Defaults("jdbc:h2:mem:x;query_cache_size=4;optimize_reuse_results=1;db_close_on_exit=TRUE;trace_level_file=1")).as("the URL's own settings win")
                .isEqualTo("jdbc:h2:mem:x;query_cache_size=4;optimize_reuse_results=1;db_close_on_exit=TRUE;trace_level_file=1");
        assertThat(Store.withH2Defaults("jdbc:h2:tcp://127.0.0.1:9092/learnbridge")).as("a server closes its own databases")
                .isEqualTo("jdbc:h2:tcp://127.0.0.1:9092/learnbridge;QUERY_CACHE_SIZE=64;OPTIMIZE_REUSE_RESULTS=0;TRACE_LEVEL_FILE=0");
        assertThat(Store.withH2Defaults("jdbc:postgresql://db:5432/learnbridge")).isEqualTo("jdbc:postgresql://db:5432/learnbridge");
    }

    @Test
    void theSettingReachesTheDatabase() {
        Store store = Store.open("jdbc:h2:mem:store-url-test;DB_CLOSE_DELAY=-1", "sa", "", 2);
        try {
            assertThat(store.<String>tx(c -> {
                try (var rs = c.createStatement().executeQuery(
                        "select setting_value from information_schema.settings where setting_name = 'QUERY_CACHE_SIZE'")) {
                    rs.next();
                    return rs.getString(1);
                }
            })).isEqualTo("64");
        } finally {
            store.close();
        }
    }
}
