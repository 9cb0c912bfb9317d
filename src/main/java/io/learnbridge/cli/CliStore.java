package io.learnbridge.cli;

import io.learnbridge.exception.Replayer;
import io.learnbridge.support.SettingValues;
import io.learnbridge.support.Settings;
import io.learnbridge.mapping.MappingCatalog;
import io.learnbridge.mapping.MappingFiles;
import io.learnbridge.store.ExceptionQueue;
import io.learnbridge.store.Reconciliation;
import io.learnbridge.store.Replays;
import io.learnbridge.store.Store;

/** The store and mappings for the exception-queue and drop commands, opened from the settings. */
final class CliStore implements AutoCloseable {

    final CliSettings lookup;
    /** The typed settings, read once for the command. */
    final SettingValues values;
    final Settings settings;
    final Store store;

    CliStore(java.nio.file.Path settingsFile) {
        this.lookup = new CliSettings(settingsFile);
        this.values = SettingValues.of(lookup);
        this.settings = Settings.read(values);
        // run by the bridge on its own store (StoreControl), or opened here
        this.attached = StoreControl.attached().isPresent();
        this.store = StoreControl.attached().orElseGet(() -> {
            try {
                return Store.open(settings.store().url(), settings.store().user(), settings.store().password(), 2);
            } catch (io.learnbridge.store.StoreException e) {
                if (StoreControl.socketOf(settings.store().url()).isPresent() && e.getMessage() != null && e.getMessage().contains("locked")) {
                    throw new io.learnbridge.store.StoreException(e.getMessage() + ". A running bridge answers commands on "
                            + StoreControl.socketOf(settings.store().url()).get() + "; it did not answer", e);
                }
                throw e;
            }
        });
    }

    private final boolean attached;

    ExceptionQueue exceptions() {
        return new ExceptionQueue(store);
    }

    Reconciliation reconciliation() {
        return new Reconciliation(store);
    }

    Replayer replayer() {
        return new Replayer(() -> MappingCatalog.compileStrict(MappingFiles.load(settings.mappingsLocation())), exceptions(),
                new Replays(store, settings.drops().maxHold()), source -> Settings.targetsOf(values, source));
    }

    @Override
    public void close() {
        if (!attached) {
            store.close();
        }
    }
}
