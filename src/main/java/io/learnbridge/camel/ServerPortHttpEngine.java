package io.learnbridge.camel;

import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpEngine;

/**
 * Works around a trap found on Camel 4.17 (kept on 4.18 until re-checked): with the management server on its own port there are two
 * Vert.x servers, so {@code VertxPlatformHttpEngine} cannot pick one and binds every
 * {@code platform-http} route to the router of port 8080, whatever {@code camel.server.port}
 * says (startup then fails with "No PlatformHttpEngine ... platform-http-router-8080").
 * This engine answers the configured server port.
 */
final class ServerPortHttpEngine extends VertxPlatformHttpEngine {

    private final int port;

    ServerPortHttpEngine(int port) {
        this.port = port;
    }

    @Override
    public int getServerPort() {
        return port;
    }
}
