// printer.bambu's MQTT codec on bytes from the broker: the stream is cut into packets (in chunks
// whose sizes come from the input, so packet boundaries fall anywhere) and every packet is decoded
// as each packet type the client accepts.
#include "mqtt_codec.h"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace bambuddy::printer_bambu::mqtt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  // First byte: chunk size for append(); the rest is the stream.
  const size_t chunk = (data[0] % 64) + 1;
  const char* stream = reinterpret_cast<const char*>(data + 1);
  const size_t stream_size = size - 1;
  PacketReader reader(64 * 1024);
  Packet packet;
  for (size_t offset = 0; offset < stream_size || offset == 0; offset += chunk) {
    if (offset < stream_size) {
      reader.append(stream + offset, std::min(chunk, stream_size - offset));
    }
    while (reader.next(packet)) {
      std::string error;
      uint8_t code = 0;
      uint8_t qos = 0;
      uint16_t id = 0;
      decodeConnack(packet, code, error);
      connackReason(code);
      decodeSuback(packet, id, qos, error);
      decodePuback(packet, id, error);
      Publish publish;
      Packet copy = packet;
      if (decodePublish(std::move(copy), publish, error)) {
        // What the client sends back must be encodable from what it decoded.
        encodePuback(publish.packet_id);
        encodePublish(publish.topic, publish.payload, publish.qos, publish.packet_id);
      }
    }
    if (!reader.error().empty() || stream_size == 0) {
      break;
    }
  }
  return 0;
}
