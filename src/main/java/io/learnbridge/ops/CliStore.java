package io.learnbridge.ops;

import io.learnbridge.mapping.MappingCatalog;
import io.learnbridge.mapping.MappingFiles;
import io.learnbridge.store.ExceptionQueue;
import io.learnbridge.store.Reconciliation;
import io.learnbridge.store.Replays;
import io.learnbridge.store.Store;

/** The store and mappings for the exception-queue and drop commands, opened from the settings. */
final class CliStore implements AutoCloseable {

    final CliSettings lookup;
    final Settings settings;
    final Store store;

    CliStore(java.nio.file.Path settingsFile) {
        this.lookup = new CliSettings(settingsFile);
        this.settings = Settings.read(lookup);
        this.store = Store.open(settings.store().url(), settings.store().user(), settings.store().password(), 2);
    }

    ExceptionQueue exceptions() {
        return new ExceptionQueue(store);
    }

    Reconciliation reconciliation() {
        return new Reconciliation(store);
    }

    Replayer replayer() {
        return new Replayer(() -> MappingCatalog.compileStrict(MappingFiles.load(settings.mappingsLocation())), exceptions(),
                new Replays(store, settings.drops().maxHold()), source -> Settings.targetsOf(lookup, source));
    }

    @Override
    public void close() {
        store.close();
    }
}
