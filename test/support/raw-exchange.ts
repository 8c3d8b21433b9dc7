import { connect as natsConnect, createInbox } from '@nats-io/transport-node';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import mqtt from 'mqtt';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import type { Settings } from '../../src/common/settings/settings.js';
import { frameReader } from './raw-peer.js';

/**
 * Sends one request as a Nest client puts it on the wire (`{ pattern, data, id }` as JSON, on the
 * transport's request channel) and answers every reply payload that comes back for it, as raw
 * text, until one says `isDisposed` or carries `err` (or `withinMs` passes). No Nest code on this
 * side: what a listener writes is what this gets.
 */
export async function rawExchange(
  settings: Settings,
  pattern: string,
  data: unknown,
  withinMs = 10_000,
): Promise<string[]> {
  const id = randomUUID();
  const request = JSON.stringify({ pattern, data, id });
  const replies: string[] = [];
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
    setTimeout(resolve, withinMs).unref();
  });
  /** A reply payload; `forThis` when the transport says whose it is (RabbitMQ's correlationId). */
  const take = (text: string, forThis = false): void => {
    const parsed = JSON.parse(text) as { id?: string; isDisposed?: boolean; err?: unknown };
    if (!forThis && parsed.id !== id) return;
    replies.push(text);
    if (parsed.isDisposed || parsed.err !== undefined) finish();
  };
  const { brokers } = settings;
  switch (settings.transport) {
    case 'tcp': {
      const socket = connect(settings.peers.server.port, '127.0.0.1');
      socket.setEncoding('utf8');
      socket.on(
        'data',
        frameReader((json) => take(json)),
      );
      socket.write(`${request.length}#${request}`);
      await done;
      socket.destroy();
      break;
    }
    case 'nats': {
      const nc = await natsConnect({ servers: [brokers.natsUrl] });
      const inbox = createInbox();
      const subscription = nc.subscribe(inbox);
      void (async () => {
        for await (const message of subscription) take(message.string());
      })();
      nc.publish(pattern, request, { reply: inbox });
      await done;
      await nc.close();
      break;
    }
    case 'redis': {
      const subscriber = new Redis(brokers.redisUrl);
      const publisher = new Redis(brokers.redisUrl);
      subscriber.on('message', (_channel: string, text: string) => take(text));
      await subscriber.subscribe(`${pattern}.reply`);
      await publisher.publish(pattern, request);
      await done;
      subscriber.disconnect();
      publisher.disconnect();
      break;
    }
    case 'mqtt': {
      const client = await mqtt.connectAsync(brokers.mqttUrl);
      client.on('message', (_topic, payload) => take(payload.toString('utf8')));
      await client.subscribeAsync(`${pattern}/reply`);
      await client.publishAsync(pattern, request);
      await done;
      await client.endAsync();
      break;
    }
    case 'rmq': {
      const connection = await amqp.connect(brokers.rmqUrl);
      const channel = await connection.createChannel();
      const { queue } = await channel.assertQueue('', { exclusive: true });
      // Nest's RabbitMQ replies name their request by correlationId, not in the body.
      await channel.consume(
        queue,
        (message) => {
          if (message?.properties.correlationId === id) take(message.content.toString(), true);
        },
        { noAck: true },
      );
      channel.sendToQueue('ordered-pipeline.server', Buffer.from(request), {
        replyTo: queue,
        correlationId: id,
      });
      await done;
      await connection.close();
      break;
    }
    case 'local':
      throw new Error('the in-process transport has no wire');
  }
  // The id is the one this side chose: the same for whichever listener answered.
  return replies.map((text) => text.replaceAll(id, '<id>'));
}
