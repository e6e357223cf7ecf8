# Layering as an allowlist (DESIGN.md §2). Each module names the modules it may link
# directly; moesim_check_layering(), called once every target exists, fails the configure
# when a module's link closure reaches a declared module outside what its allowlist
# allows (those modules and, transitively, what they allow). Together with per-module
# include roots (each module exposes only <module>/include), a wrong-way dependency cannot
# be built: the header is not on the path and the link is refused here. Targets that are
# not declared (external libraries, a module's internal pieces, tests, benchmarks) are not
# judged, but links through them are followed.

# moesim_layer(MODULE [ALLOWS DEP...]): MODULE is a layer; it may depend on DEP...
function(moesim_layer module)
  cmake_parse_arguments(ARG "" "" "ALLOWS" ${ARGN})
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "layering: moesim_layer(${module} ...): unexpected ${ARG_UNPARSED_ARGUMENTS} (use ALLOWS)")
  endif()
  set_property(GLOBAL APPEND PROPERTY MOESIM_LAYERS ${module})
  set_property(GLOBAL PROPERTY MOESIM_LAYER_ALLOWS_${module} "${ARG_ALLOWS}")
endfunction()

# Every target TARGET links, directly or through others (PRIVATE links of static libraries
# included: they reach the final executable all the same).
function(_moesim_link_closure target out_var)
  set(seen "")
  set(todo ${target})
  while(todo)
    list(POP_FRONT todo current)
    if(current IN_LIST seen OR NOT TARGET ${current})
      continue()
    endif()
    list(APPEND seen ${current})
    get_target_property(libs ${current} LINK_LIBRARIES)
    get_target_property(ilibs ${current} INTERFACE_LINK_LIBRARIES)
    foreach(lib IN LISTS libs ilibs)
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" lib "${lib}")
      if(lib AND NOT lib MATCHES "-NOTFOUND$")
        list(APPEND todo ${lib})
      endif()
    endforeach()
  endwhile()
  list(REMOVE_ITEM seen ${target})
  set(${out_var} ${seen} PARENT_SCOPE)
endfunction()

# What MODULE may reach: its allowlist and, transitively, theirs.
function(_moesim_allowed_closure module out_var)
  set(seen "")
  get_property(todo GLOBAL PROPERTY MOESIM_LAYER_ALLOWS_${module})
  while(todo)
    list(POP_FRONT todo current)
    if(current IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${current})
    get_property(next GLOBAL PROPERTY MOESIM_LAYER_ALLOWS_${current})
    list(APPEND todo ${next})
  endwhile()
  set(${out_var} ${seen} PARENT_SCOPE)
endfunction()

function(moesim_check_layering)
  get_property(layers GLOBAL PROPERTY MOESIM_LAYERS)
  foreach(module IN LISTS layers)
    if(NOT TARGET ${module})
      message(FATAL_ERROR "layering: ${module} is declared a layer but is no target")
    endif()
    get_property(allows GLOBAL PROPERTY MOESIM_LAYER_ALLOWS_${module})
    foreach(dep IN LISTS allows)
      if(NOT dep IN_LIST layers)
        message(FATAL_ERROR "layering: ${module} allows ${dep}, which is not a declared layer")
      endif()
    endforeach()
    _moesim_allowed_closure(${module} allowed)
    _moesim_link_closure(${module} reached)
    foreach(dep IN LISTS reached)
      if(dep IN_LIST layers AND NOT dep IN_LIST allowed)
        list(JOIN allowed ", " allowed_text)
        if(NOT allowed_text)
          set(allowed_text "nothing")
        endif()
        message(FATAL_ERROR "layering: ${module} must not depend on ${dep} "
                            "(${module} may depend on ${allowed_text}: DESIGN.md §2)")
      endif()
    endforeach()
  endforeach()
endfunction()

# moesim_module(TARGET LIBS...): a library made of this directory's src/*.cpp, exposing
# only include/ (so a module cannot include what it does not link), linked to LIBS.
function(moesim_module target)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/*.cpp)
  if(sources)
    add_library(${target} STATIC ${sources})
    target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_link_libraries(${target} PUBLIC ${ARGN})
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_link_libraries(${target} INTERFACE ${ARGN})
  endif()
endfunction()
