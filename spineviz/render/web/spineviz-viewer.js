/* spineviz static pages: decode the compact meshes and hand a vtk.js scene to the
   OfflineLocalView viewer (assets/vtk-viewer.js, shared by every page).

   Mesh files (data/<hash>.js) call spinevizMesh(hash, base64) with a gzip-compressed
   little-endian record: "SVM1", nPoints u32, nTriangles u32, bbox min f32x3, max f32x3,
   points u16x3 quantised over the box, padding to 4 bytes, indices u16x3 (u32 when
   nPoints > 65535).  Normals are computed here (smooth; creases were split in Python). */
(function () {
  "use strict";
  var store = {};
  window.spinevizMesh = function (hash, b64) { store[hash] = b64; };

  function bytesOf(b64) {
    var s = atob(b64), u = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
    return u;
  }
  function gunzip(u8) {
    var stream = new Blob([u8]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).arrayBuffer();
  }
  function base64Of(buffer) {
    var u = new Uint8Array(buffer), parts = [];
    for (var i = 0; i < u.length; i += 0x8000) parts.push(String.fromCharCode.apply(null, u.subarray(i, i + 0x8000)));
    return btoa(parts.join(""));
  }

  function decode(buffer) {
    var dv = new DataView(buffer);
    var n = dv.getUint32(4, true), t = dv.getUint32(8, true);
    var lo = [0, 1, 2].map(function (k) { return dv.getFloat32(12 + 4 * k, true); });
    var hi = [0, 1, 2].map(function (k) { return dv.getFloat32(24 + 4 * k, true); });
    var off = 36, q = new Uint16Array(buffer, off, 3 * n);
    off += 6 * n; off += (4 - (off % 4)) % 4;
    var idx = n > 65535 ? new Uint32Array(buffer, off, 3 * t) : new Uint16Array(buffer, off, 3 * t);
    var pts = new Float32Array(3 * n);
    for (var i = 0; i < 3 * n; i++) { var k = i % 3; pts[i] = lo[k] + (q[i] / 65535) * (hi[k] - lo[k]); }
    var polys = new Int32Array(4 * t), nrm = new Float32Array(3 * n);
    for (var f = 0; f < t; f++) {
      var a = idx[3 * f], b = idx[3 * f + 1], c = idx[3 * f + 2];
      polys[4 * f] = 3; polys[4 * f + 1] = a; polys[4 * f + 2] = b; polys[4 * f + 3] = c;
      var ux = pts[3 * b] - pts[3 * a], uy = pts[3 * b + 1] - pts[3 * a + 1], uz = pts[3 * b + 2] - pts[3 * a + 2];
      var vx = pts[3 * c] - pts[3 * a], vy = pts[3 * c + 1] - pts[3 * a + 1], vz = pts[3 * c + 2] - pts[3 * a + 2];
      var nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
      [a, b, c].forEach(function (p) { nrm[3 * p] += nx; nrm[3 * p + 1] += ny; nrm[3 * p + 2] += nz; });
    }
    for (var p = 0; p < n; p++) {
      var l = Math.hypot(nrm[3 * p], nrm[3 * p + 1], nrm[3 * p + 2]) || 1;
      nrm[3 * p] /= l; nrm[3 * p + 1] /= l; nrm[3 * p + 2] /= l;
    }
    return { points: pts, polys: polys, normals: nrm };
  }

  var CRC = (function () {
    var t = new Uint32Array(256);
    for (var n = 0; n < 256; n++) { var c = n; for (var k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; t[n] = c >>> 0; }
    return t;
  })();
  function crc32(u8) {
    var c = 0xffffffff;
    for (var i = 0; i < u8.length; i++) c = CRC[(c ^ u8[i]) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  }
  /* A zip archive holding one stored (uncompressed) file. */
  function zipOne(name, text) {
    var data = new TextEncoder().encode(text), fname = new TextEncoder().encode(name), crc = crc32(data);
    var out = new Uint8Array(30 + fname.length + data.length + 46 + fname.length + 22), dv = new DataView(out.buffer);
    function header(at, central) {
      var o = at;
      dv.setUint32(o, central ? 0x02014b50 : 0x04034b50, true); o += 4;
      if (central) { dv.setUint16(o, 20, true); o += 2; }
      dv.setUint16(o, 20, true); dv.setUint16(o + 2, 0, true); dv.setUint16(o + 4, 0, true);
      dv.setUint16(o + 6, 0, true); dv.setUint16(o + 8, 0x21, true); dv.setUint32(o + 10, crc, true);
      dv.setUint32(o + 14, data.length, true); dv.setUint32(o + 18, data.length, true);
      dv.setUint16(o + 22, fname.length, true); dv.setUint16(o + 24, 0, true); o += 26;
      if (central) { o += 14; }  // comment length, disk, attributes and the local header offset (0)
      out.set(fname, o); return o + fname.length;
    }
    var end = header(0, false);
    out.set(data, end); end += data.length;
    var cd = end; end = header(cd, true);
    dv.setUint32(end, 0x06054b50, true); dv.setUint16(end + 8, 1, true); dv.setUint16(end + 10, 1, true);
    dv.setUint32(end + 12, end - cd, true); dv.setUint32(end + 16, cd, true);
    return out.buffer;
  }

  function ref(id) { return "instance:${" + id + "}"; }

  function sceneOf(manifest, meshes, aspect) {
    var hashes = {};
    function array(key, typed, type, vtk, name, comps, extra) {
      hashes[key] = { hash: key, type: type, vtk: vtk, content: base64Of(typed.buffer) };
      var out = { hash: key, vtkClass: vtk, name: name, dataType: type, numberOfComponents: comps, size: typed.length };
      for (var k in extra || {}) out[k] = extra[k];
      return out;
    }
    var cam = manifest.camera;
    // Framed for a landscape view; move back on portrait screens so nothing is cut off.
    var back = Math.max(1, manifest.aspect / Math.max(aspect, 0.2));
    var pos = [0, 1, 2].map(function (k) { return cam.focal_point[k] + (cam.position[k] - cam.focal_point[k]) * back; });
    var deps = [{
      parent: "ren", id: "cam", type: "vtkOpenGLCamera",
      properties: { focalPoint: cam.focal_point, position: pos, viewUp: cam.view_up, viewAngle: cam.view_angle,
                    clippingRange: [1, 4000] }
    }];
    var calls = [["setActiveCamera", [ref("cam")]]];
    manifest.actors.forEach(function (a, i) {
      var m = meshes[a.mesh], aid = "a" + i, mid = "m" + i, pid = "p" + i, did = mid + "-dataset";
      var polydata = {
        parent: mid, id: did, type: "vtkPolyData",
        properties: {
          points: array(a.mesh + "p", m.points, "Float32Array", "vtkPoints", "Points", 3),
          polys: array(a.mesh + "c", m.polys, "Int32Array", "vtkCellArray", null, 1),
          fields: [array(a.mesh + "n", m.normals, "Float32Array", "vtkDataArray", "Normals", 3,
                         { location: "pointData", registration: "setNormals" })]
        }
      };
      deps.push({
        parent: "ren", id: aid, type: "vtkOpenGLActor",
        properties: { visibility: 1, pickable: 1, dragable: 0, useBounds: true, origin: [0, 0, 0], position: [0, 0, 0],
                      scale: [1, 1, 1], orientation: [0, 0, 0], forceOpaque: a.opacity >= 1, forceTranslucent: a.opacity < 1,
                      userMatrix: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] },
        calls: [["setMapper", [ref(mid)]], ["setProperty", [ref(pid)]]],
        dependencies: [
          { parent: aid, id: mid, type: "vtkMapper",
            properties: { resolveCoincidentTopology: 0, scalarVisibility: 0, colorMode: 0, scalarMode: 0 },
            calls: [["setInputData", [ref(did)]]], dependencies: [polydata] },
          { parent: aid, id: pid, type: "vtkOpenGLProperty",
            properties: { representation: 2, diffuseColor: a.color, color: a.color, ambientColor: a.color,
                          specularColor: [1, 1, 1], edgeColor: [0, 0, 0], ambient: a.ambient, diffuse: a.diffuse,
                          specular: a.specular, specularPower: a.specular_power, opacity: a.opacity, interpolation: 1,
                          edgeVisibility: 0, backfaceCulling: 0, frontfaceCulling: 0, pointSize: 5, lineWidth: 1,
                          lighting: 1 } }
        ]
      });
      calls.push(["addViewProp", [ref(aid)]]);
    });
    manifest.lights.forEach(function (l, i) {
      deps.push({ parent: "ren", id: "l" + i, type: "vtkOpenGLLight",
                  properties: { "switch": 1, intensity: l.intensity, color: [1, 1, 1], position: l.position,
                                focalPoint: [0, 0, 0], positional: 0, exponent: 1, coneAngle: 30,
                                attenuationValues: [1, 0, 0], lightType: "CameraLight", shadowAttenuation: 1 } });
      calls.push(["addLight", [ref("l" + i)]]);
    });
    var renderer = {
      parent: "rw", id: "ren", type: "vtkOpenGLRenderer",
      properties: { background: manifest.background, viewport: [0, 0, 1, 1], twoSidedLighting: 1, lightFollowCamera: 1,
                    layer: 0, preserveColorBuffer: 0, preserveDepthBuffer: 0, interactive: 1 },
      calls: calls, dependencies: deps
    };
    var scene = {
      parent: "0x0", id: 1, type: "vtkEGLRenderWindow", properties: { numberOfLayers: 1 },
      calls: [["addRenderer", [ref("ren")]]], mtime: 1,
      extra: { vtkRefId: "rw", centerOfRotation: cam.focal_point, camera: "cam" },
      dependencies: [renderer]
    };
    return { scene: scene, hashes: hashes };
  }

  window.spinevizShow = function (container, manifest) {
    var ids = [];
    manifest.actors.forEach(function (a) { if (ids.indexOf(a.mesh) < 0) ids.push(a.mesh); });
    return Promise.all(ids.map(function (h) {
      if (!store[h]) return Promise.reject(new Error("mesh " + h + " did not load"));
      return gunzip(bytesOf(store[h])).then(function (buf) { return [h, decode(buf)]; });
    })).then(function (pairs) {
      var meshes = {};
      pairs.forEach(function (p) { meshes[p[0]] = p[1]; });
      var rect = container.getBoundingClientRect();
      var data = sceneOf(manifest, meshes, rect.width / Math.max(rect.height, 1));
      // The bundle's own URL loader passes its arguments in the wrong order, so hand it a
      // one-file zip (index.json), the format its file loader reads.
      window.OfflineLocalView.load(container, { file: zipOne("index.json", JSON.stringify(data)), ext: "zip" });
      container.setAttribute("data-ready", "1");
    });
  };
})();
