package dev.herald.jobs.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.jobs.QueueName;
import dev.herald.support.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Availability notices on a real redis-server. */
class QueueNoticesTest {

    private final RedisServer server = RedisServer.startNew();
    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void stop() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
        server.close();
    }

    @Test
    void aWatchAnnouncesItsQueueOnceSubscribedThenEachNotice() throws Exception {
        Redis client = Redis.createClient(vertx, server.url());
        QueueNotices notices = new QueueNotices(vertx, client, q -> "t:{jobs.x}:qn:" + q.name());
        BlockingQueue<QueueName> heard = new LinkedBlockingQueue<>();
        notices.setListener(heard::add);
        QueueName queue = QueueName.of("images");

        notices.watch(queue);
        // A job enqueued before the subscription took effect was announced to nobody: the watch says so.
        assertEquals(queue, heard.poll(10, TimeUnit.SECONDS));

        client.send(Request.cmd(Command.PUBLISH).arg("t:{jobs.x}:qn:images").arg("images"))
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(queue, heard.poll(10, TimeUnit.SECONDS));
        notices.close();
    }
}
