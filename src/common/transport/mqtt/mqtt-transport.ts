import {
  ClientMqtt,
  ServerMqtt,
  type MqttContext,
  type MqttOptions,
  type OutgoingResponse,
  type ReadPacket,
  type MsPattern,
  type WritePacket,
} from '@nestjs/microservices';
import { withDirectReplies } from '../nest-seam/direct-replies.js';
import { withExactPatterns } from '../nest-seam/exact-patterns.js';
import { withWireNames } from '../wire-names.js';
import { ReplyKey, replyChannelOf, SharedReplies } from '../private-replies.js';

interface MqttSubscriber {
  subscribeAsync(topic: string): Promise<unknown>;
}

/** What a listener publishes its replies with (Nest types the MQTT client as any). */
interface Publisher {
  publish(topic: string, message: string): unknown;
}

/**
 * Nest's MQTT server with its request topics taken through a shared subscription
 * (`$share/<group>/<topic>`), so that replicas of a role share its messages instead of each
 * getting all of them, and replying to each client on its own topic (`private-replies.ts`).
 * Handlers keep their plain patterns.
 */
export class SharedSubscriptionMqttServer extends withWireNames(
  withDirectReplies(withExactPatterns(ServerMqtt)),
) {
  constructor(
    private readonly group: string,
    options: Required<MqttOptions>['options'],
  ) {
    super(options);
  }

  override getRequestPattern(pattern: string): string {
    return `$share/${this.group}/${pattern}`;
  }

  // Nest's getPublisher (12.1.1) without MqttRecord options (no handler here returns one),
  // publishing on the topic the request id names.
  override getPublisher(client: Publisher, context: MqttContext, id: string) {
    const topic = replyChannelOf(this.getReplyPattern(context.getTopic()), id, '/');
    return (response: object) => {
      const outgoing: OutgoingResponse = Object.assign(response, { id });
      return client.publish(topic, this.serializer.serialize(outgoing) as string);
    };
  }
}

/**
 * Nest's MQTT client with a reply topic of its own, keeping its subscription to it once made.
 * Nest unsubscribes when no request waits and subscribes again for the next one; under load the
 * two race in the MQTT client library and replies are lost (requests then time out and are sent
 * again).
 */
export class StickyReplyMqttClient extends ClientMqtt {
  private readonly replies = new ReplyKey();
  // Nest's own listener answers on the shared topic (see `ReconnectingRedisClient`).
  private readonly sharedReplies = new SharedReplies((topic) =>
    (this.mqttClient as MqttSubscriber | null)?.subscribeAsync(topic),
  );

  override getResponsePattern(pattern: string): string {
    return this.replies.channel(this.sharedResponsePattern(pattern), '/');
  }

  override publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    this.sharedReplies.listen(
      this.sharedResponsePattern(this.normalizePattern(packet.pattern as MsPattern)),
    );
    return super.publish(packet, callback);
  }

  override async close(): Promise<void> {
    this.sharedReplies.forget();
    await super.close();
  }

  private sharedResponsePattern(pattern: string): string {
    return super.getResponsePattern(pattern);
  }

  protected override assignPacketId(packet: ReadPacket): ReadPacket & { id: string } {
    return Object.assign(packet, { id: this.replies.nextId() });
  }

  protected override unsubscribeFromChannel(channel: string): void {
    this.subscriptionsCount.set(
      channel,
      Math.max(1, (this.subscriptionsCount.get(channel) ?? 1) - 1),
    );
  }
}
