// Configuration precedence (defaults < TOML < env < flags) and errors that name the
// key and its source.
#include "config/config.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <fstream>

using namespace moai;

namespace {

std::string write_toml(const std::string& text) {
  static int n = 0;
  std::string path = "/tmp/moai_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + ".toml";
  std::ofstream(path) << text;
  return path;
}

std::string error_of(const std::vector<std::string>& args, const environment& env) {
  try {
    load_config(args, env);
  } catch (const config_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(configuration)

BOOST_AUTO_TEST_CASE(defaults) {
  config c = load_config({}, {});
  BOOST_TEST(c.port == 4201);
  BOOST_TEST(c.db_path == "./local-sync.db");
  BOOST_TEST(c.storage == "sqlite");
  BOOST_TEST(c.mode == "sync");
  BOOST_TEST(c.llm_upstream_url == "https://api.redpill.ai/v1");
  BOOST_TEST(effective_threads(0) >= 1u);
  BOOST_TEST(effective_threads(3) == 3u);
}

BOOST_AUTO_TEST_CASE(precedence_file_env_flag) {
  std::string file =
      write_toml("[server]\nport = 5000\nhost = \"127.0.0.1\"\n[storage]\ndb_path = \"/tmp/from-file.db\"\n");
  config_sources sources;
  config c = load_config({"--config", file}, {}, &sources);
  BOOST_TEST(c.port == 5000);
  BOOST_TEST(c.host == "127.0.0.1");
  BOOST_TEST(sources["server.port"] == file);

  c = load_config({"--config", file}, {{"PORT", "6000"}}, &sources);
  BOOST_TEST(c.port == 6000);
  BOOST_TEST(c.db_path == "/tmp/from-file.db");
  BOOST_TEST(sources["server.port"] == "env PORT");

  c = load_config({"--config", file, "--port", "7000"}, {{"PORT", "6000"}}, &sources);
  BOOST_TEST(c.port == 7000);
  BOOST_TEST(sources["server.port"] == "flag --port");

  // MOAI_CONFIG names the file when --config does not.
  c = load_config({"--port=7001"}, {{"MOAI_CONFIG", file}, {"DB_PATH", "/tmp/env.db"}});
  BOOST_TEST(c.host == "127.0.0.1");
  BOOST_TEST(c.port == 7001);
  BOOST_TEST(c.db_path == "/tmp/env.db");
  std::remove(file.c_str());
}

BOOST_AUTO_TEST_CASE(every_named_variable) {
  config c = load_config({}, {{"PEER_ID", "co_zabc"},
                              {"PEER_SECRET", "sealerSecret_z1/signerSecret_z2"},
                              {"PEER_MOAI", "ws://up:4201/sync"},
                              {"PEER_MODE", "agent"},
                              {"PEER_STORAGE", "memory"},
                              {"RED_PILL_API_KEY", "sk-test"},
                              {"LLM_UPSTREAM_URL", "http://127.0.0.1:9/v1"}});
  BOOST_TEST(c.peer_id == "co_zabc");
  BOOST_TEST(c.peer_secret == "sealerSecret_z1/signerSecret_z2");
  BOOST_TEST(c.peer_moai == "ws://up:4201/sync");
  BOOST_TEST(c.mode == "agent");
  BOOST_TEST(c.storage == "memory");
  BOOST_TEST(c.llm_api_key == "sk-test");
  BOOST_TEST(c.llm_upstream_url == "http://127.0.0.1:9/v1");
  // Secrets never appear in the description that is logged.
  for (const auto& [key, value] : describe(c)) {
    BOOST_TEST(value.find("sk-test") == std::string::npos);
    BOOST_TEST(value.find("signerSecret") == std::string::npos);
  }
}

// The admin page's token: off by default, from the file, the environment or a flag,
// never in the logged description, and listed by moai help.
BOOST_AUTO_TEST_CASE(admin_token) {
  BOOST_TEST(load_config({}, {}).admin_token.empty());
  std::string file = write_toml("[admin]\ntoken = \"from-file\"\n");
  BOOST_TEST(load_config({"--config", file}, {}).admin_token == "from-file");
  BOOST_TEST(load_config({"--config", file}, {{"MOAI_ADMIN_TOKEN", "from-env"}}).admin_token == "from-env");
  config c = load_config({"--config", file, "--admin-token", "from-flag"}, {{"MOAI_ADMIN_TOKEN", "from-env"}});
  BOOST_TEST(c.admin_token == "from-flag");
  for (const auto& [key, value] : describe(c)) BOOST_TEST(value.find("from-flag") == std::string::npos);
  BOOST_TEST(config_reference().find("MOAI_ADMIN_TOKEN, toml admin.token") != std::string::npos);
  std::remove(file.c_str());
}

BOOST_AUTO_TEST_CASE(bad_values_name_key_and_source) {
  std::string e = error_of({}, {{"PORT", "http"}});
  BOOST_TEST(e.find("server.port") != std::string::npos);
  BOOST_TEST(e.find("env PORT") != std::string::npos);

  e = error_of({"--port", "70000"}, {});
  BOOST_TEST(e.find("flag --port") != std::string::npos);
  BOOST_TEST(e.find("65535") != std::string::npos);

  e = error_of({"--storage", "mongo"}, {});
  BOOST_TEST(e.find("storage.kind") != std::string::npos);

  e = error_of({}, {{"PEER_MODE", "cluster"}});
  BOOST_TEST(e.find("server.mode") != std::string::npos);

  e = error_of({"--no-such-flag", "1"}, {});
  BOOST_TEST(e.find("--no-such-flag") != std::string::npos);

  e = error_of({"--idle-timeout-ms", "1000"}, {});
  BOOST_TEST(e.find("limits.idle_timeout_ms") != std::string::npos);
  BOOST_TEST(e.find("at least 3000") != std::string::npos);
  BOOST_TEST(error_of({"--idle-timeout-ms", "0"}, {}).empty());

  e = error_of({"--port"}, {});
  BOOST_TEST(e.find("needs a value") != std::string::npos);

  std::string file = write_toml("[server]\nport = \"not a number\"\n");
  e = error_of({"--config", file}, {});
  BOOST_TEST(e.find("server.port") != std::string::npos);
  BOOST_TEST(e.find(file) != std::string::npos);
  std::remove(file.c_str());

  file = write_toml("[server]\nprot = 1\n");
  e = error_of({"--config", file}, {});
  BOOST_TEST(e.find("unknown key server.prot") != std::string::npos);
  std::remove(file.c_str());

  file = write_toml("[server\nport = 1\n");
  e = error_of({"--config", file}, {});
  BOOST_TEST(e.find("cannot read config file") != std::string::npos);
  std::remove(file.c_str());

  e = error_of({"--config", "/nonexistent/moai.toml"}, {});
  BOOST_TEST(e.find("/nonexistent/moai.toml") != std::string::npos);
}

// toml11 3.7 reads past its buffer on some ill-formed UTF-8 (config_fuzzer found a literal
// string holding 0xFF): such a file is refused before toml11 sees it.
BOOST_AUTO_TEST_CASE(a_file_that_is_not_utf8_is_refused) {
  const std::string path = write_toml("[server]\nport = 4201\n'\xff'");
  const std::string e = error_of({"--config", path}, {});
  BOOST_TEST(e.find("is not UTF-8 (an ill-formed sequence at byte 22)") != std::string::npos, e);
  std::remove(path.c_str());
  // Well-formed multi-byte text is fine.
  const std::string ok = write_toml("# caf\xc3\xa9 \xe2\x80\xa6 \xf0\x9f\x8c\x8a\n[server]\nport = 4300\n");
  BOOST_TEST(load_config({"--config", ok}, {}).port == 4300);
  std::remove(ok.c_str());
  for (const char* bad : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x80", "\x80"}) {
    const std::string p = write_toml(std::string("# ") + bad + "\n");
    BOOST_TEST(error_of({"--config", p}, {}).find("is not UTF-8") != std::string::npos, bad);
    std::remove(p.c_str());
  }
}

BOOST_AUTO_TEST_CASE(operations_keys) {
  std::string file = write_toml(
      "[log]\ndebug_endpoints = true\ninspect_interval_ms = 5000\n[limits]\nmax_peer_queue_bytes = 100000\n"
      "[runtime]\nshutdown_deadline_ms = 3000\n");
  config c = load_config({"--config", file, "--max-covalues-in-memory", "64"}, {{"MOAI_DEBUG_ENDPOINTS", "false"}});
  BOOST_TEST(c.debug_endpoints == false);  // env over file
  BOOST_TEST(c.inspect_interval_ms == 5000u);
  BOOST_TEST(c.max_peer_queue_bytes == 100000u);
  BOOST_TEST(c.shutdown_deadline_ms == 3000u);
  BOOST_TEST(c.max_covalues_in_memory == 64u);
  c = load_config({"--config", file}, {});
  BOOST_TEST(c.debug_endpoints == true);
  std::remove(file.c_str());

  std::string e = error_of({"--debug-endpoints", "maybe"}, {});
  BOOST_TEST(e.find("log.debug_endpoints") != std::string::npos);
  BOOST_TEST(e.find("true or false") != std::string::npos);
  e = error_of({}, {{"MOAI_MAX_PEER_QUEUE_BYTES", "10"}});
  BOOST_TEST(e.find("limits.max_peer_queue_bytes") != std::string::npos);
  BOOST_TEST(e.find("env MOAI_MAX_PEER_QUEUE_BYTES") != std::string::npos);
  e = error_of({"--scheduler-policy", "round-robin"}, {});
  BOOST_TEST(e.find("runtime.scheduler_policy") != std::string::npos);
  BOOST_TEST(load_config({}, {{"MOAI_SCHEDULER_POLICY", "stealing"}}).scheduler_policy == "stealing");
  e = error_of({}, {{"LLM_RATE_LIMIT_PER_MINUTE", "-1"}});
  BOOST_TEST(e.find("llm.rate_limit_per_minute") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(example_file_is_valid) {
  config_sources sources;
  config c =
      load_config({"--config", std::string(MOAI_VECTORS_DIR) + "/../../scripts/moai.example.toml"}, {}, &sources);
  BOOST_TEST(c.port == 4201);
  BOOST_TEST(c.max_peer_queue_bytes == 67108864u);
  BOOST_TEST(sources["limits.max_peer_queue_bytes"].find("moai.example.toml") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(log_lines_name_their_actor) {
  std::string json = log::render(log::level::warn, log::origin("covalue", 42), "content rejected",
                                 {{"id", "co_zX"}, {"n", 3}}, log::format::json);
  BOOST_TEST(
      json.find("\"component\":\"covalue\",\"actor\":\"covalue\",\"actor_id\":42,\"msg\":\"content rejected\"") !=
          std::string::npos,
      json);
  BOOST_TEST(json.find("\"id\":\"co_zX\",\"n\":3}") != std::string::npos, json);
  std::string logfmt = log::render(log::level::info, log::origin("peer", 7), "connected", {{"remote", "1.2.3.4:5"}},
                                   log::format::logfmt);
  BOOST_TEST(
      logfmt.find("component=peer actor=peer actor_id=7 msg=\"connected\" remote=1.2.3.4:5") != std::string::npos,
      logfmt);
  std::string text = log::render(log::level::info, "server", "listening", {}, log::format::text);
  BOOST_TEST(text.find("[server] listening") != std::string::npos, text);
  BOOST_TEST(text.find("actor") == std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(reference_lists_every_key) {
  std::string ref = config_reference();
  for (const char* needle :
       {"--port", "PORT", "DB_PATH", "PEER_STORAGE", "PEER_MODE", "PEER_ID", "PEER_SECRET", "PEER_MOAI",
        "RED_PILL_API_KEY", "LLM_UPSTREAM_URL", "MOAI_LOG_FORMAT", "AGENT_API_TOKEN", "LLM_PROXY_TOKEN",
        "MOAI_SHUTDOWN_DEADLINE_MS", "MOAI_MAX_PEER_QUEUE_BYTES", "MOAI_DEBUG_ENDPOINTS"}) {
    BOOST_TEST(ref.find(needle) != std::string::npos, needle);
  }
}

BOOST_AUTO_TEST_SUITE_END()
