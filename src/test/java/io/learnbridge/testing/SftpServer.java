package io.learnbridge.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.file.virtualfs.VirtualFileSystemFactory;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;

/**
 * A real, in-process SFTP server (Apache MINA SSHD) for tests that drive Camel's {@code sftp:} endpoint
 * (JSch underneath) with strict host key checking and public-key authentication.
 *
 * <p>Layout under the work directory given to {@link #start(Path)}:
 * <pre>
 *   keys/id_learnbridge   client private key (OpenSSH format, unencrypted, mode 600)
 *   keys/known_hosts      "[127.0.0.1]:port" and "[localhost]:port" entries for the host key
 *   sftp-root/            what the SFTP user sees as "/"
 * </pre>
 *
 * <p>All keys are ssh-ed25519, generated in-process. Only user {@value #USER} with the generated key
 * may log in; password, keyboard-interactive, host-based and GSSAPI authentication are not offered.
 */
public final class SftpServer implements AutoCloseable {

    /** The only user the server accepts. */
    public static final String USER = "learnbridge";

    private static final String HOST = "127.0.0.1";
    private static final int ED25519_KEY_SIZE = 256;

    private final Path keysDir;
    private final Path root;
    private final Path privateKeyFile;
    private final Path knownHostsFile;
    private final PublicKey authorisedKey;

    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger logins = new AtomicInteger();
    private final AtomicInteger failedAuthentications = new AtomicInteger();

    private SshServer server;
    private int port;
    private Path wrongPrivateKeyFile;

    private SftpServer(Path workDir) throws IOException, GeneralSecurityException {
        this.keysDir = Files.createDirectories(workDir.resolve("keys")).toAbsolutePath();
        this.root = Files.createDirectories(workDir.resolve("sftp-root")).toAbsolutePath();
        this.privateKeyFile = keysDir.resolve("id_learnbridge");
        this.knownHostsFile = keysDir.resolve("known_hosts");

        KeyPair client = newKeyPair();
        writePrivateKey(client, privateKeyFile);
        this.authorisedKey = client.getPublic();
    }

    /**
     * Generates fresh host and client keys, writes the client private key and a matching known_hosts
     * file under {@code workDir/keys}, and starts the server on 127.0.0.1 on a free port.
     *
     * @param workDir a scratch directory owned by the test (typically a JUnit {@code @TempDir})
     * @return the running server; close it when done
     */
    public static SftpServer start(Path workDir) {
        try {
            SftpServer sftp = new SftpServer(workDir);
            KeyPair hostKey = newKeyPair();
            sftp.server = sftp.newServer(0, hostKey);
            sftp.server.start();
            sftp.port = sftp.server.getPort();
            sftp.writeKnownHosts(sftp.knownHostsFile, List.of(sftp.hostEntry(HOST), sftp.hostEntry("localhost")),
                    hostKey.getPublic());
            return sftp;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Cannot create SSH keys", e);
        }
    }

    /** @return the TCP port the server listens on (stable across {@link #changeHostKey()}) */
    public int port() {
        return port;
    }

    /** @return the address the server is bound to, always {@code 127.0.0.1} */
    public String host() {
        return HOST;
    }

    /** @return the only user name the server accepts */
    public String user() {
        return USER;
    }

    /** @return the authorised client private key, OpenSSH format, readable by JSch */
    public Path privateKeyFile() {
        return privateKeyFile;
    }

    /** @return a known_hosts file (JSch/OpenSSH format) trusting the server's original host key */
    public Path knownHostsFile() {
        return knownHostsFile;
    }

    /** @return the directory on disk that SFTP clients see as {@code /} */
    public Path root() {
        return root;
    }

    /**
     * Creates (if needed) and returns a directory under the SFTP root.
     *
     * @param relative a path relative to the SFTP root, e.g. {@code "inbox"} or {@code "hr/outbox"}
     * @return the directory on disk
     * @throws IllegalArgumentException if {@code relative} escapes the root
     */
    public Path dir(String relative) {
        Path dir = root.resolve(relative).normalize();
        if (!dir.startsWith(root)) {
            throw new IllegalArgumentException("Not under the SFTP root: " + relative);
        }
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Returns a second client private key, same format as {@link #privateKeyFile()}, that the server
     * does not authorise. Generated on first call.
     *
     * @return the unauthorised key file
     */
    public synchronized Path wrongPrivateKeyFile() {
        if (wrongPrivateKeyFile == null) {
            Path file = keysDir.resolve("id_wrong");
            try {
                writePrivateKey(newKeyPair(), file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("Cannot create SSH key", e);
            }
            wrongPrivateKeyFile = file;
        }
        return wrongPrivateKeyFile;
    }

    /**
     * Stops the server and starts it again on the same port with a newly generated host key, so that
     * {@link #knownHostsFile()} no longer matches. Open sessions are dropped.
     */
    public synchronized void changeHostKey() {
        try {
            server.stop(true);
            server = newServer(port, newKeyPair());
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Cannot create SSH key", e);
        }
    }

    /**
     * Writes a known_hosts file that trusts some other host (a TEST-NET address) but not this server,
     * so a strict client treats this server as unknown.
     *
     * @return the file, {@code keys/known_hosts_other}
     */
    public Path writeKnownHostsForUnknownHost() {
        Path file = keysDir.resolve("known_hosts_other");
        try {
            writeKnownHosts(file, List.of("[203.0.113.7]:" + port), newKeyPair().getPublic());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Cannot create SSH key", e);
        }
        return file;
    }

    /** @return how many TCP sessions clients have opened so far (whatever happened next) */
    private volatile String cutName;
    private final java.util.concurrent.atomic.AtomicInteger cutsLeft = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger downloadsCut = new java.util.concurrent.atomic.AtomicInteger();

    /** The next {@code times} downloads of the file named {@code name} lose their connection after 64 KB (RELIABILITY.md scenario 15). */
    public void cutDownloadsOf(String name, int times) {
        cutsLeft.set(times);
        cutName = name;
    }

    /** How many downloads were cut so far. */
    public int downloadsCut() {
        return downloadsCut.get();
    }

    public int connections() {
        return connections.get();
    }

    /** @return how many sessions completed authentication so far */
    public int logins() {
        return logins.get();
    }

    /** @return how many public keys the server has refused so far (wrong user or unauthorised key) */
    public int failedAuthentications() {
        return failedAuthentications.get();
    }

    /** Stops the server and drops open sessions. */
    @Override
    public synchronized void close() {
        try {
            server.stop(true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private SshServer newServer(int listenPort, KeyPair hostKey) {
        SshServer sshd = SshServer.setUpDefaultServer();
        sshd.setHost(HOST);
        sshd.setPort(listenPort);
        CoreModuleProperties.SOCKET_REUSEADDR.set(sshd, true);
        sshd.setKeyPairProvider(KeyPairProvider.wrap(hostKey));

        sshd.setUserAuthFactories(List.of(new UserAuthPublicKeyFactory()));
        sshd.setPasswordAuthenticator(null);
        sshd.setKeyboardInteractiveAuthenticator(null);
        sshd.setHostBasedAuthenticator(null);
        sshd.setGSSAuthenticator(null);
        sshd.setPublickeyAuthenticator((username, key, session) -> {
            boolean accepted = USER.equals(username) && KeyUtils.compareKeys(authorisedKey, key);
            if (!accepted) {
                failedAuthentications.incrementAndGet();
            }
            return accepted;
        });

        SftpSubsystemFactory.Builder sftp = new SftpSubsystemFactory.Builder();
        sftp.addSftpEventListener(new org.apache.sshd.sftp.server.SftpEventListener() {
            @Override
            public void reading(org.apache.sshd.server.session.ServerSession session, String remoteHandle,
                                org.apache.sshd.sftp.server.FileHandle localHandle, long offset, byte[] data, int dataOffset, int dataLength)
                    throws java.io.IOException {
                String cut = cutName;
                if (cut != null && offset >= 64 * 1024 && localHandle.getFile().getFileName().toString().equals(cut) && cutsLeft.getAndDecrement() > 0) {
                    downloadsCut.incrementAndGet();
                    session.close(true);
                    throw new java.io.IOException("connection cut by the test in the middle of " + cut + " at byte " + offset);
                }
            }
        });
        sshd.setSubsystemFactories(List.of(sftp.build()));
        sshd.setFileSystemFactory(new VirtualFileSystemFactory(root));
        sshd.addSessionListener(new SessionListener() {
            @Override
            public void sessionCreated(Session session) {
                connections.incrementAndGet();
            }

            @Override
            public void sessionEvent(Session session, Event event) {
                if (event == Event.Authenticated) {
                    logins.incrementAndGet();
                }
            }
        });
        return sshd;
    }

    private String hostEntry(String hostName) {
        return "[" + hostName + "]:" + port;
    }

    /**
     * Ed25519 via MINA's registered EdDSA provider (net.i2p.crypto:eddsa), so that MINA can both sign
     * with the host key and serialise the client key. JSch reads the result with the JDK's own Ed25519.
     */
    private static KeyPair newKeyPair() throws GeneralSecurityException {
        if (!SecurityUtils.isEDDSACurveSupported()) {
            throw new IllegalStateException("MINA SSHD has no Ed25519 support; is net.i2p.crypto:eddsa missing?");
        }
        KeyPairGenerator generator = SecurityUtils.getKeyPairGenerator(SecurityUtils.EDDSA);
        generator.initialize(ED25519_KEY_SIZE);
        return generator.generateKeyPair();
    }

    private static void writePrivateKey(KeyPair keyPair, Path file) throws IOException, GeneralSecurityException {
        try (OutputStream out = Files.newOutputStream(file)) {
            OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(keyPair, USER + "@learnbridge-test", null, out);
        }
        restrictToOwner(file);
    }

    private void writeKnownHosts(Path file, List<String> hostNames, PublicKey hostKey) throws IOException {
        String key = PublicKeyEntry.toString(Objects.requireNonNull(hostKey));
        StringBuilder lines = new StringBuilder();
        for (String hostName : hostNames) {
            lines.append(hostName).append(' ').append(key).append('\n');
        }
        Files.writeString(file, lines, StandardCharsets.US_ASCII);
    }

    private static void restrictToOwner(Path file) throws IOException {
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
    }
}
