# neuroppa_embed(TARGET_SOURCES_VAR NAMESPACE SYMBOL FILES...): a generated
# C++ source embedding FILES as NAMESPACE::SYMBOL (see embed_files.cmake).
function(neuroppa_embed out_var namespace symbol)
  set(files ${ARGN})
  set(cpp ${CMAKE_CURRENT_BINARY_DIR}/embedded_${symbol}.cpp)
  add_custom_command(
    OUTPUT ${cpp}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${cpp} "-DFILES=${files}" -DNAMESPACE=${namespace} -DSYMBOL=${symbol}
            -P ${CMAKE_SOURCE_DIR}/cmake/embed_files.cmake
    DEPENDS ${files} ${CMAKE_SOURCE_DIR}/cmake/embed_files.cmake
    COMMENT "Embedding ${symbol}"
    VERBATIM)
  set(${out_var} ${cpp} PARENT_SCOPE)
endfunction()

# The same, each file named by its path relative to `base` (files of one name
# in several folders: kernel packages' kernel.toml).
function(neuroppa_embed_tree out_var namespace symbol base)
  set(files ${ARGN})
  set(cpp ${CMAKE_CURRENT_BINARY_DIR}/embedded_${symbol}.cpp)
  add_custom_command(
    OUTPUT ${cpp}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${cpp} "-DFILES=${files}" -DNAMESPACE=${namespace} -DSYMBOL=${symbol}
            -DBASE=${base} -P ${CMAKE_SOURCE_DIR}/cmake/embed_files.cmake
    DEPENDS ${files} ${CMAKE_SOURCE_DIR}/cmake/embed_files.cmake
    COMMENT "Embedding ${symbol}"
    VERBATIM)
  set(${out_var} ${cpp} PARENT_SCOPE)
endfunction()
