# cmake -DCASE=... -DEXPECT=pass|fail [-DMESSAGE=regex] -DLAYERING=... -DWORK=... -P expect_configure.cmake
# Configures probe/ with CASE and checks the outcome: success, or failure with MESSAGE.
file(REMOVE_RECURSE ${WORK})
execute_process(COMMAND ${CMAKE_COMMAND} -S ${CMAKE_CURRENT_LIST_DIR}/probe -B ${WORK}
                        -DCASE=${CASE} -DMOESIM_LAYERING_CMAKE=${LAYERING}
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
file(REMOVE_RECURSE ${WORK})
string(REGEX REPLACE "[ \t\r\n]+" " " text "${out} ${err}")  # CMake wraps long messages
if(EXPECT STREQUAL "pass" AND NOT status EQUAL 0)
  message(FATAL_ERROR "case ${CASE}: configure failed, expected success:\n${out}${err}")
elseif(EXPECT STREQUAL "fail")
  if(status EQUAL 0)
    message(FATAL_ERROR "case ${CASE}: configure succeeded, expected it to fail with '${MESSAGE}'")
  elseif(NOT text MATCHES "${MESSAGE}")
    message(FATAL_ERROR "case ${CASE}: configure failed without '${MESSAGE}':\n${out}${err}")
  endif()
endif()
message(STATUS "case ${CASE}: ${EXPECT} as expected")
