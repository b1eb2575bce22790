// Builds a small but real 3MF (a zip with the parts Bambu Studio writes) for the upload test:
// model, slice info with a time and filament estimate, and a plate preview PNG.
import { crc32, deflateSync } from 'node:zlib';

function u16(n) {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}
function u32(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

// A zip of stored (uncompressed) entries: enough for any reader, no dependency needed.
export function zip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const nameBuf = Buffer.from(name, 'utf8');
    const body = Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
    const crc = crc32(body);
    const common = [u16(20), u16(0x0800), u16(0), u16(0), u16(0x21), u32(crc), u32(body.length), u32(body.length), u16(nameBuf.length)];
    const local = Buffer.concat([u32(0x04034b50), ...common, u16(0), nameBuf, body]);
    const central = Buffer.concat([
      u32(0x02014b50),
      u16(20),
      ...common,
      u16(0),
      u16(0),
      u16(0),
      u16(0),
      u32(0),
      u32(offset),
      nameBuf,
    ]);
    locals.push(local);
    centrals.push(central);
    offset += local.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.concat([
    u32(0x06054b50),
    u16(0),
    u16(0),
    u16(entries.length),
    u16(entries.length),
    u32(dir.length),
    u32(offset),
    u16(0),
  ]);
  return Buffer.concat([...locals, dir, end]);
}

function chunk(type, data) {
  const typeBuf = Buffer.from(type, 'ascii');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([typeBuf, data])) >>> 0);
  return Buffer.concat([len, typeBuf, data, crc]);
}

// A 128x128 preview: a teal boat-ish shape on a light plate, drawn pixel by pixel.
export function previewPng(size = 128) {
  const rows = [];
  for (let y = 0; y < size; y += 1) {
    const row = Buffer.alloc(1 + size * 3);
    for (let x = 0; x < size; x += 1) {
      const cx = x - size / 2;
      const cy = y - size * 0.62;
      const hull = cy > -size * 0.12 && cy < size * 0.12 && Math.abs(cx) < size * 0.38 - Math.max(0, cy) * 1.2;
      const cabin = y > size * 0.28 && y < size * 0.5 && cx > -size * 0.12 && cx < size * 0.14;
      const plate = ((x >> 4) + (y >> 4)) % 2 === 0 ? 236 : 226;
      const [r, g, b] = hull || cabin ? [15, 118 + (cabin ? 30 : 0), 110] : [plate, plate, plate + 4];
      row[1 + x * 3] = r;
      row[2 + x * 3] = g;
      row[3 + x * 3] = b;
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export function sampleThreeMf(title, printTimeS, filamentG) {
  return zip([
    {
      name: '[Content_Types].xml',
      data:
        '<?xml version="1.0" encoding="UTF-8"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        '<Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>' +
        '<Default Extension="png" ContentType="image/png"/></Types>',
    },
    {
      name: '3D/3dmodel.model',
      data:
        '<?xml version="1.0" encoding="UTF-8"?>\n<model unit="millimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">' +
        `<metadata name="Title">${title}</metadata><metadata name="Application">BambuStudio-01.10.00.00</metadata>` +
        '<resources/><build/></model>',
    },
    {
      name: 'Metadata/slice_info.config',
      data:
        '<?xml version="1.0" encoding="UTF-8"?>\n<config><header><header_item key="X-BBL-Client-Version" value="01.10.00.00"/></header><plate>' +
        '<metadata key="index" value="1"/><metadata key="printer_model_id" value="C11"/>' +
        `<metadata key="prediction" value="${printTimeS}"/><metadata key="weight" value="${filamentG}"/>` +
        `<filament id="1" type="PLA" color="#FFFFFF" used_m="1.0" used_g="${filamentG}"/></plate></config>`,
    },
    { name: 'Metadata/plate_1.png', data: previewPng() },
    { name: 'Metadata/plate_1.gcode', data: '; sample\nG28\n' },
  ]);
}

// A 3MF with several plates, each with its own time and filament estimate (`plates`: [{printTimeS,
// filamentG}], plate 1 first), for choosing a plate to print.
export function multiPlateThreeMf(title, plates) {
  const sliced = plates
    .map(
      (p, i) =>
        `<plate><metadata key="index" value="${i + 1}"/><metadata key="printer_model_id" value="C11"/>` +
        `<metadata key="prediction" value="${p.printTimeS}"/><metadata key="weight" value="${p.filamentG}"/>` +
        `<filament id="1" type="PLA" color="#FFFFFF" used_m="1.0" used_g="${p.filamentG}"/></plate>`,
    )
    .join('');
  return zip([
    {
      name: '[Content_Types].xml',
      data:
        '<?xml version="1.0" encoding="UTF-8"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        '<Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>' +
        '<Default Extension="png" ContentType="image/png"/></Types>',
    },
    {
      name: '3D/3dmodel.model',
      data:
        '<?xml version="1.0" encoding="UTF-8"?>\n<model unit="millimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">' +
        `<metadata name="Title">${title}</metadata><metadata name="Application">BambuStudio-01.10.00.00</metadata>` +
        '<resources/><build/></model>',
    },
    {
      name: 'Metadata/slice_info.config',
      data:
        '<?xml version="1.0" encoding="UTF-8"?>\n<config><header><header_item key="X-BBL-Client-Version" value="01.10.00.00"/></header>' +
        `${sliced}</config>`,
    },
    ...plates.flatMap((_, i) => [
      { name: `Metadata/plate_${i + 1}.png`, data: previewPng() },
      { name: `Metadata/plate_${i + 1}.gcode`, data: `; plate ${i + 1}\nG28\n` },
    ]),
  ]);
}
