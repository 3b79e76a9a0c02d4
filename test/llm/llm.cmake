# LLM proxy tests: each defineCase("…") in llm_proxy.mjs is one ctest test that starts
# a fake upstream and a freshly built moai. Included from test/CMakeLists.txt.
find_program(NODE_EXECUTABLE node)
find_program(OPENSSL_EXECUTABLE openssl)
if(NOT NODE_EXECUTABLE OR NOT OPENSSL_EXECUTABLE)
  message(WARNING "node or the openssl CLI not found: LLM proxy tests are not registered")
  return()
endif()
set(MOAI_LLM_TEST ${CMAKE_CURRENT_LIST_DIR}/llm_proxy.mjs)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${MOAI_LLM_TEST})
file(STRINGS ${MOAI_LLM_TEST} MOAI_LLM_CASE_LINES REGEX "^defineCase\\(\"[a-z0-9_]+\"")
foreach(line ${MOAI_LLM_CASE_LINES})
  string(REGEX REPLACE "^defineCase\\(\"([a-z0-9_]+)\".*" "\\1" case "${line}")
  add_test(NAME llm.${case}
           COMMAND ${NODE_EXECUTABLE} ${MOAI_LLM_TEST} --moai $<TARGET_FILE:moai> --case ${case})
  set_tests_properties(llm.${case} PROPERTIES LABELS llm TIMEOUT 120)
endforeach()
