// The MQTT 3.1.1 subset the driver speaks: exact bytes out, packets cut from any split of a
// stream, and broken or hostile streams refused with a reason instead of read past.
#include "mqtt_codec.h"

#include <gtest/gtest.h>

#include <string>

namespace bambuddy::printer_bambu::mqtt {
namespace mqtt_codec_test {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) {
    out.push_back(static_cast<char>(v));
  }
  return out;
}

TEST(MqttCodec, ConnectCarriesCleanSessionKeepaliveAndCredentials) {
  ConnectRequest request;
  request.client_id = "id";
  request.username = "bblp";
  request.password = "pw";
  request.keepalive_s = 30;
  std::string expected = bytes({0x10, 24,  0,   4, 'M', 'Q', 'T', 'T', 4,   0xC2, 0, 30,  0,
                                2,    'i', 'd', 0, 4,   'b', 'b', 'l', 'p', 0,    2, 'p', 'w'});
  EXPECT_EQ(encodeConnect(request), expected);
}

TEST(MqttCodec, SubscribePublishPubackPing) {
  EXPECT_EQ(encodeSubscribe(7, "a/b", 0), bytes({0x82, 8, 0, 7, 0, 3, 'a', '/', 'b', 0}));
  EXPECT_EQ(encodePublish("t", "xy", 0, 0), bytes({0x30, 5, 0, 1, 't', 'x', 'y'}));
  EXPECT_EQ(encodePublish("t", "xy", 1, 258), bytes({0x32, 7, 0, 1, 't', 1, 2, 'x', 'y'}));
  EXPECT_EQ(encodePuback(258), bytes({0x40, 2, 1, 2}));
  EXPECT_EQ(encodePingreq(), bytes({0xC0, 0}));
  EXPECT_EQ(encodeDisconnect(), bytes({0xE0, 0}));
}

TEST(MqttCodec, LongPayloadsUseMultiByteLengths) {
  std::string payload(20000, 'p');
  std::string packet = encodePublish("device/X/report", payload, 0, 0);
  // 2 + 15 + 20000 = 20017 = 0x4E31: 0xB1 0x9C 0x01
  EXPECT_EQ(packet.substr(0, 4), bytes({0x30, 0xB1, 0x9C, 0x01}));
  PacketReader reader(1 << 20);
  Packet out;
  // Fed one byte at a time, the packet appears exactly when its last byte does.
  for (size_t i = 0; i < packet.size(); ++i) {
    EXPECT_FALSE(reader.next(out)) << i;
    reader.append(&packet[i], 1);
  }
  ASSERT_TRUE(reader.next(out));
  Publish publish;
  std::string error;
  ASSERT_TRUE(decodePublish(std::move(out), publish, error)) << error;
  EXPECT_EQ(publish.topic, "device/X/report");
  EXPECT_EQ(publish.payload, payload);
  EXPECT_EQ(publish.qos, 0);
  EXPECT_TRUE(reader.error().empty());
}

TEST(MqttCodec, SeveralPacketsInOneRead) {
  std::string stream = bytes({0x20, 2, 0, 0}) + encodePublish("t", "a", 1, 9) + bytes({0x90, 3, 0, 5, 0x80}) +
                       bytes({0xD0, 0});
  PacketReader reader(1024);
  reader.append(stream.data(), stream.size());
  Packet p;
  std::string error;
  uint8_t code = 99;
  ASSERT_TRUE(reader.next(p));
  ASSERT_TRUE(decodeConnack(p, code, error));
  EXPECT_EQ(code, 0);
  ASSERT_TRUE(reader.next(p));
  Publish publish;
  ASSERT_TRUE(decodePublish(std::move(p), publish, error)) << error;
  EXPECT_EQ(publish.qos, 1);
  EXPECT_EQ(publish.packet_id, 9);
  EXPECT_EQ(publish.payload, "a");
  ASSERT_TRUE(reader.next(p));
  uint16_t id = 0;
  uint8_t granted = 0;
  ASSERT_TRUE(decodeSuback(p, id, granted, error));
  EXPECT_EQ(id, 5);
  EXPECT_EQ(granted, 0x80);
  ASSERT_TRUE(reader.next(p));
  EXPECT_EQ(p.type, kPingresp);
  EXPECT_FALSE(reader.next(p));
}

TEST(MqttCodec, OversizedAndOverlongLengthsPoisonTheReader) {
  PacketReader small(100);
  std::string big = bytes({0x30, 0xC8, 0x01}); // 200 bytes announced
  small.append(big.data(), big.size());
  Packet p;
  EXPECT_FALSE(small.next(p));
  EXPECT_EQ(small.error(), "MQTT packet of 200 bytes exceeds the limit of 100 bytes");
  std::string more = bytes({0xD0, 0});
  small.append(more.data(), more.size());
  EXPECT_FALSE(small.next(p)) << "a broken stream stays broken";

  PacketReader reader(1 << 20);
  std::string overlong = bytes({0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01});
  reader.append(overlong.data(), overlong.size());
  EXPECT_FALSE(reader.next(p));
  EXPECT_EQ(reader.error(), "malformed MQTT packet: remaining length longer than 4 bytes");
}

TEST(MqttCodec, MalformedPacketsAreNamed) {
  std::string error;
  Publish publish;
  Packet no_topic{kPublish, 0, bytes({0})};
  EXPECT_FALSE(decodePublish(std::move(no_topic), publish, error));
  EXPECT_EQ(error, "malformed PUBLISH: no topic");
  Packet short_topic{kPublish, 0, bytes({0, 9, 'a'})};
  EXPECT_FALSE(decodePublish(std::move(short_topic), publish, error));
  EXPECT_EQ(error, "malformed PUBLISH: topic longer than the packet");
  Packet qos3{kPublish, 6, bytes({0, 1, 't'})};
  EXPECT_FALSE(decodePublish(std::move(qos3), publish, error));
  EXPECT_EQ(error, "malformed PUBLISH: invalid QoS");
  Packet missing_id{kPublish, 2, bytes({0, 1, 't', 0})};
  EXPECT_FALSE(decodePublish(std::move(missing_id), publish, error));
  uint8_t code = 0;
  EXPECT_FALSE(decodeConnack(Packet{kConnack, 0, bytes({0})}, code, error));
  EXPECT_EQ(error, "malformed CONNACK");
  uint16_t id = 0;
  EXPECT_FALSE(decodePuback(Packet{kPuback, 0, ""}, id, error));
  EXPECT_EQ(error, "malformed PUBACK");
}

TEST(MqttCodec, ConnackCodesReadAsAdvice) {
  EXPECT_EQ(connackReason(0), "");
  EXPECT_EQ(connackReason(4), "bad user name or password (check the access code)");
  EXPECT_EQ(connackReason(5), "not authorized (check the access code)");
  EXPECT_EQ(connackReason(42), "the printer refused the connection (CONNACK code 42)");
}

} // namespace mqtt_codec_test
} // namespace bambuddy::printer_bambu::mqtt
