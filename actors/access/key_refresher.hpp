// Keeps access_control in step with the key table: every access.key_refresh_ms (and soon
// after an unknown key was refused) it adds the keys' counted stored bytes to the table
// and reads the table again, on a thread of its own with its own database connection,
// so `moai keys create|revoke` take effect in a running server.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "actors/access/access_control.hpp"
#include "storage/api_key_store.hpp"

namespace moai::actors {

class key_refresher {
 public:
  key_refresher(std::unique_ptr<storage::api_key_store> store, access_control& access,
                std::chrono::milliseconds period);
  ~key_refresher();  // stops, after storing the last counts
  key_refresher(const key_refresher&) = delete;
  key_refresher& operator=(const key_refresher&) = delete;

  // Once, on the caller's thread (at start-up); throws when the table cannot be read.
  void refresh();
  void start();
  // Refresh soon (an unknown key came: it may have been made a moment ago).
  void wake();

 private:
  void run();

  std::unique_ptr<storage::api_key_store> store_;
  access_control& access_;
  std::chrono::milliseconds period_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace moai::actors
