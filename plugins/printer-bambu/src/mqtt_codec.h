// The few MQTT 3.1.1 packets a printer client needs, as bytes: built for sending, cut out of a
// byte stream and taken apart on receipt. No I/O and no state beyond the reader's buffer.
//
// Why not a library: Paho C serves every client of a process from one receive thread that polls
// all sockets and walks linear lists per message (79 % of a core at 1000 printers), and
// libmosquitto 2.0.11 cannot finish a non-blocking connect from an external event loop (the
// client stays in connect_pending). The driver therefore runs its own event loop (mqtt_loop.h)
// and speaks this small subset itself: CONNECT/CONNACK, SUBSCRIBE/SUBACK, PUBLISH QoS 0 and 1,
// PUBACK, PINGREQ/PINGRESP, DISCONNECT.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace bambuddy::printer_bambu::mqtt {

enum PacketType : uint8_t {
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kSubscribe = 8,
  kSuback = 9,
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
};

struct ConnectRequest {
  std::string client_id;
  std::string username;
  std::string password; // secret: only ever goes into the packet
  uint16_t keepalive_s = 30;
};

std::string encodeConnect(const ConnectRequest& request);
std::string encodeSubscribe(uint16_t packet_id, const std::string& topic, uint8_t qos);
// packet_id is written only for qos > 0.
std::string encodePublish(const std::string& topic, const std::string& payload, uint8_t qos,
                          uint16_t packet_id);
std::string encodePuback(uint16_t packet_id);
std::string encodePingreq();
std::string encodeDisconnect();

struct Packet {
  uint8_t type = 0;  // PacketType
  uint8_t flags = 0; // the low nibble of the first byte
  std::string body;  // everything after the fixed header
};

// Cuts complete packets out of a byte stream. A packet announcing more than max_packet_bytes, or
// a remaining length over four bytes, poisons the reader: the stream cannot be resynchronized.
class PacketReader {
public:
  explicit PacketReader(size_t max_packet_bytes) : max_packet_bytes_(max_packet_bytes) {}

  void append(const char* data, size_t size) { buffer_.append(data, size); }
  // True with the next complete packet in `out`; false when none is complete yet or the stream is
  // broken (then error() is set and stays set).
  bool next(Packet& out);
  const std::string& error() const { return error_; }

private:
  size_t max_packet_bytes_;
  std::string buffer_;
  size_t consumed_ = 0; // bytes of buffer_ already handed out; dropped lazily
  std::string error_;
};

struct Publish {
  std::string topic;
  std::string payload;
  uint8_t qos = 0;
  uint16_t packet_id = 0; // only for qos > 0
};

// Each returns false with `error` naming what is malformed.
bool decodeConnack(const Packet& packet, uint8_t& return_code, std::string& error);
bool decodeSuback(const Packet& packet, uint16_t& packet_id, uint8_t& granted_qos, std::string& error);
bool decodePuback(const Packet& packet, uint16_t& packet_id, std::string& error);
bool decodePublish(Packet&& packet, Publish& out, std::string& error);

// The CONNACK return codes of MQTT 3.1.1 in words an operator can act on ("" for 0).
std::string connackReason(uint8_t return_code);

} // namespace bambuddy::printer_bambu::mqtt
