#include "mqtt_codec.h"

namespace bambuddy::printer_bambu::mqtt {
namespace {

void putU16(std::string& out, uint16_t value) {
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value & 0xff));
}

void putString(std::string& out, const std::string& text) {
  putU16(out, static_cast<uint16_t>(text.size()));
  out += text;
}

// The fixed header: type and flags, then the remaining length in 7-bit groups.
std::string withHeader(uint8_t type, uint8_t flags, const std::string& body) {
  std::string out;
  out.reserve(body.size() + 5);
  out.push_back(static_cast<char>((type << 4) | (flags & 0x0f)));
  size_t length = body.size();
  do {
    uint8_t digit = length % 128;
    length /= 128;
    if (length > 0) {
      digit |= 0x80;
    }
    out.push_back(static_cast<char>(digit));
  } while (length > 0);
  out += body;
  return out;
}

uint16_t getU16(const std::string& data, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(data[at]) << 8) | static_cast<uint8_t>(data[at + 1]));
}

} // namespace

std::string encodeConnect(const ConnectRequest& request) {
  std::string body;
  putString(body, "MQTT");
  body.push_back(4);    // protocol level: 3.1.1
  uint8_t flags = 0x02; // clean session
  if (!request.username.empty()) {
    flags |= 0x80;
  }
  if (!request.password.empty()) {
    flags |= 0x40;
  }
  body.push_back(static_cast<char>(flags));
  putU16(body, request.keepalive_s);
  putString(body, request.client_id);
  if (!request.username.empty()) {
    putString(body, request.username);
  }
  if (!request.password.empty()) {
    putString(body, request.password);
  }
  return withHeader(kConnect, 0, body);
}

std::string encodeSubscribe(uint16_t packet_id, const std::string& topic, uint8_t qos) {
  std::string body;
  putU16(body, packet_id);
  putString(body, topic);
  body.push_back(static_cast<char>(qos));
  return withHeader(kSubscribe, 0x02, body); // the flags 0010 are required by the protocol
}

std::string encodePublish(const std::string& topic, const std::string& payload, uint8_t qos,
                          uint16_t packet_id) {
  std::string body;
  body.reserve(topic.size() + payload.size() + 4);
  putString(body, topic);
  if (qos > 0) {
    putU16(body, packet_id);
  }
  body += payload;
  return withHeader(kPublish, static_cast<uint8_t>(qos << 1), body);
}

std::string encodePuback(uint16_t packet_id) {
  std::string body;
  putU16(body, packet_id);
  return withHeader(kPuback, 0, body);
}

std::string encodePingreq() {
  return withHeader(kPingreq, 0, "");
}

std::string encodeDisconnect() {
  return withHeader(kDisconnect, 0, "");
}

bool PacketReader::next(Packet& out) {
  if (!error_.empty()) {
    return false;
  }
  const size_t available = buffer_.size() - consumed_;
  if (available < 2) {
    return false;
  }
  const uint8_t first = static_cast<uint8_t>(buffer_[consumed_]);
  size_t length = 0;
  size_t multiplier = 1;
  size_t header = 1;
  while (true) {
    if (header > 4) {
      error_ = "malformed MQTT packet: remaining length longer than 4 bytes";
      return false;
    }
    if (header >= available) {
      return false; // the length itself is incomplete
    }
    const uint8_t digit = static_cast<uint8_t>(buffer_[consumed_ + header]);
    length += (digit & 0x7f) * multiplier;
    multiplier *= 128;
    ++header;
    if ((digit & 0x80) == 0) {
      break;
    }
  }
  if (length > max_packet_bytes_) {
    error_ = "MQTT packet of " + std::to_string(length) + " bytes exceeds the limit of " +
             std::to_string(max_packet_bytes_) + " bytes";
    return false;
  }
  if (available < header + length) {
    if (buffer_.capacity() < consumed_ + header + length) {
      buffer_.reserve(consumed_ + header + length);
    }
    return false;
  }
  out.type = first >> 4;
  out.flags = first & 0x0f;
  out.body.assign(buffer_, consumed_ + header, length);
  consumed_ += header + length;
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  } else if (consumed_ > 64 * 1024) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  return true;
}

bool decodeConnack(const Packet& packet, uint8_t& return_code, std::string& error) {
  if (packet.type != kConnack || packet.body.size() != 2) {
    error = "malformed CONNACK";
    return false;
  }
  return_code = static_cast<uint8_t>(packet.body[1]);
  return true;
}

bool decodeSuback(const Packet& packet, uint16_t& packet_id, uint8_t& granted_qos, std::string& error) {
  if (packet.type != kSuback || packet.body.size() < 3) {
    error = "malformed SUBACK";
    return false;
  }
  packet_id = getU16(packet.body, 0);
  granted_qos = static_cast<uint8_t>(packet.body[2]);
  return true;
}

bool decodePuback(const Packet& packet, uint16_t& packet_id, std::string& error) {
  if (packet.type != kPuback || packet.body.size() < 2) {
    error = "malformed PUBACK";
    return false;
  }
  packet_id = getU16(packet.body, 0);
  return true;
}

bool decodePublish(Packet&& packet, Publish& out, std::string& error) {
  const std::string& body = packet.body;
  out.qos = (packet.flags >> 1) & 0x03;
  if (packet.type != kPublish || out.qos == 3) {
    error = "malformed PUBLISH: invalid QoS";
    return false;
  }
  if (body.size() < 2) {
    error = "malformed PUBLISH: no topic";
    return false;
  }
  const size_t topic_size = getU16(body, 0);
  size_t at = 2 + topic_size;
  if (body.size() < at + (out.qos > 0 ? 2 : 0)) {
    error = "malformed PUBLISH: topic longer than the packet";
    return false;
  }
  out.topic.assign(body, 2, topic_size);
  out.packet_id = 0;
  if (out.qos > 0) {
    out.packet_id = getU16(body, at);
    at += 2;
  }
  // The payload is the tail: move the body and cut its head off instead of copying the payload.
  out.payload = std::move(packet.body);
  out.payload.erase(0, at);
  return true;
}

std::string connackReason(uint8_t return_code) {
  switch (return_code) {
  case 0:
    return "";
  case 1:
    return "the printer refused MQTT 3.1.1 (unacceptable protocol version)";
  case 2:
    return "the printer refused the client identifier";
  case 3:
    return "the printer's MQTT service is unavailable";
  case 4:
    return "bad user name or password (check the access code)";
  case 5:
    return "not authorized (check the access code)";
  default:
    return "the printer refused the connection (CONNACK code " + std::to_string(return_code) + ")";
  }
}

} // namespace bambuddy::printer_bambu::mqtt
