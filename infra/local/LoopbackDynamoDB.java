// DynamoDB Local, listening on 127.0.0.1 only (infra/local/dynamodb.py compiles and runs it).
//
// The jar has no option for the address it binds: it listens on every interface, so anyone
// on the venue network could write items that skip every check. This starts the same
// server from the same command-line options, and sets the host of its Jetty connector to
// loopback before it starts.
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class LoopbackDynamoDB {
    private static final String LOOPBACK = "127.0.0.1";

    private LoopbackDynamoDB() {}

    public static void main(String[] args) throws Exception {
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server server = (Server) field.get(proxy);
        int bound = 0;
        for (Connector connector : server.getConnectors()) {
            if (connector instanceof ServerConnector) {
                ((ServerConnector) connector).setHost(LOOPBACK);
                bound++;
            }
        }
        if (bound == 0) {
            throw new IllegalStateException("DynamoDB Local has no connector to bind to loopback");
        }
        proxy.start();
        proxy.join();
    }
}
