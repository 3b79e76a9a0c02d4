// Access to the vector files in test/vectors/ (produced by running cojson 0.20.19).
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "protocol/json/json.hpp"

namespace moai::test {

inline std::string read_vector_file(const std::string& name) {
  std::ifstream in(std::string(MOAI_VECTORS_DIR) + "/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("missing vector file " + name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Some vector fields hold JS strings with lone surrogates ("\ud800x"), which no JSON
// parser outside JS accepts; the tests never read those fields, so such escapes are
// replaced by U+FFFD before parsing.
std::string replace_lone_surrogate_escapes(std::string text);

inline protocol::json_document load_vector(const std::string& name) {
  protocol::json_document doc;
  std::string error;
  if (!protocol::parse_json(replace_lone_surrogate_escapes(read_vector_file(name)), doc, error)) {
    throw std::runtime_error(name + ": " + error);
  }
  return doc;
}

inline std::vector<std::string> vector_lines(const std::string& name) {
  std::istringstream in(read_vector_file(name));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

inline std::string str(const protocol::json_value& v, const char* key) {
  const auto* m = protocol::find_member(v, key);
  if (!m || !m->IsString()) throw std::runtime_error(std::string("vector field missing: ") + key);
  return std::string(m->GetString(), m->GetStringLength());
}

// Compact (RapidJSON) serialization of a value: used to feed a vector's JSON object
// back into a parser as wire text.
std::string to_wire(const protocol::json_value& v);

}  // namespace moai::test
