// Number spellings that hashes depend on.
//
// JavaScript (Number.prototype.toString, used by JSON.stringify and cojson's
// stableStringify) and serde_json (ryu, used by the Rust core when it re-serializes a
// header) print the same shortest round-trip digits but lay them out differently:
// JS writes 1e+21 and 100, ryu writes 1e21 and 100.0 for a float.
#pragma once

#include <cstdint>
#include <string>

namespace moai::base {

// JS String(n). NaN and ±Infinity give "null" (what JSON.stringify writes); -0 gives "0".
void append_js_number(std::string& out, double value);

// serde_json's spelling of an f64 (ryu): "1.0", "1e21", "1e-7", "0.001".
// Non-finite values give "null", as serde_json writes them.
void append_serde_f64(std::string& out, double value);

}  // namespace moai::base
