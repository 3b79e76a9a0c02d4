# Real-client interop tests: each case in test/interop/cases/ is one ctest test that
# starts a freshly built moai (MOAI_BINARY) and drives cojson 0.20.19 clients at it.
# Included from test/CMakeLists.txt; needs `npm ci` in test/interop (scripts/test does it).
find_program(NODE_EXECUTABLE node)
if(NOT NODE_EXECUTABLE)
  message(WARNING "node not found: interop tests are not registered")
  return()
endif()
file(GLOB MOAI_INTEROP_CASES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/cases/*.mjs)
foreach(case_file ${MOAI_INTEROP_CASES})
  get_filename_component(case ${case_file} NAME_WE)
  add_test(NAME interop.${case}
           COMMAND ${NODE_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/run.mjs ${case} --moai ${MOAI_BINARY})
  set_tests_properties(interop.${case} PROPERTIES LABELS interop TIMEOUT 180)
endforeach()

# Operations cases (health, metrics, shutdown, limits) use the same runner.
file(GLOB MOAI_OPS_CASES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/../ops/*.mjs)
foreach(case_file ${MOAI_OPS_CASES})
  get_filename_component(case ${case_file} NAME_WE)
  add_test(NAME ops.${case}
           COMMAND ${NODE_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/run.mjs ops/${case} --moai ${MOAI_BINARY})
  set_tests_properties(ops.${case} PROPERTIES LABELS ops TIMEOUT 180)
endforeach()
