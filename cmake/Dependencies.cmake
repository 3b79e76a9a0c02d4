# Every dependency comes from Debian packages (see scripts/install-deps).
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(SQLiteCpp REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(toml11 REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS system)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(CRYPTOPP REQUIRED IMPORTED_TARGET libcrypto++)

find_path(RAPIDJSON_INCLUDE_DIR rapidjson/document.h REQUIRED)
add_library(moai_rapidjson INTERFACE)
target_include_directories(moai_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIR})
# std::string support and SSE4.2 whitespace skipping are safe on every x86-64 target we build for.
target_compile_definitions(moai_rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)

# CAF 0.17: Debian ships no CMake config, so wrap the libraries ourselves.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIBRARY caf_core REQUIRED)
add_library(caf_core INTERFACE)
target_include_directories(caf_core SYSTEM INTERFACE ${CAF_INCLUDE_DIR})
target_link_libraries(caf_core INTERFACE ${CAF_CORE_LIBRARY} Threads::Threads)

# Boost.Beast/Asio are header-only; Boost.System for error codes.
add_library(moai_boost INTERFACE)
target_link_libraries(moai_boost INTERFACE Boost::system Threads::Threads)
target_compile_definitions(moai_boost INTERFACE BOOST_BEAST_USE_STD_STRING_VIEW BOOST_ASIO_NO_DEPRECATED)

include(Blake3)
