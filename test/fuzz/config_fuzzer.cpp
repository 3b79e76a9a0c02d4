// libFuzzer target: a configuration file (TOML, --config / MOAI_CONFIG) is either taken or
// refused with a config_error naming what is wrong; nothing else escapes and nothing
// crashes. The input is written to a file, as the server reads it.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/moai-config-fuzz-" + std::to_string(getpid()) + ".toml";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    moai::config_sources sources;
    const auto cfg = moai::load_config({"--config", path}, {}, &sources);
    // Taken: every setting is a default or came from this file, and
    // reading it again gives the same result.
    for (const auto& [key, source] : sources) {
      if (source != path && source != "default") std::abort();
    }
    moai::config_sources again;
    const auto cfg2 = moai::load_config({"--config", path}, {}, &again);
    if (again != sources || cfg2.port != cfg.port || cfg2.db_path != cfg.db_path) std::abort();
  } catch (const moai::config_error& e) {
    if (std::string(e.what()).empty()) std::abort();  // refused, and it says why
  }
  return 0;
}
