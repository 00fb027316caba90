/*
** test_cases.h -- the list of db test cases.  Each X(name) is a function
** void test_<name>(void) and a ctest entry db.<name> (tests/db/CMakeLists.txt
** keeps the same list).
*/
#ifndef AR_TEST_CASES_H
#define AR_TEST_CASES_H

#define DB_TEST_CASES(X)                                                      \
  X(create)             /* test_open.c */                                     \
  X(empty_file)                                                               \
  X(empty_sqlite)                                                             \
  X(reopen_resume)                                                            \
  X(two_writers)                                                              \
  X(insert_find)        /* test_write.c */                                    \
  X(candidate_changed)                                                        \
  X(measurement)                                                              \
  X(run)                                                                      \
  X(text_forms)                                                               \
  X(refuse_text)        /* test_refuse.c */                                   \
  X(refuse_random)                                                            \
  X(refuse_other_app)                                                         \
  X(refuse_other_app_id)                                                      \
  X(refuse_newer)                                                             \
  X(refuse_directory)                                                         \
  X(refuse_cannot_create)                                                     \
  X(corrupt_truncated)                                                        \
  X(corrupt_page)                                                             \
  X(locked)             /* test_locked.c */                                   \
  X(sigkill_resume)     /* test_sigkill.c */                                  \
  X(hot_journal_schema) /* test_recover.c */                                  \
  X(hot_journal_filled)                                                       \
  X(damaged_index)                                                            \
  X(two_new_writers)                                                          \
  X(open_readonly)                                                            \
  X(bad_values)                                                               \
  X(upgrade_v1)         /* test_upgrade.c */                                  \
  X(device_identity)                                                          \
  X(empty_names)        /* test_recover.c */                                  \
  X(ragged_shapes)      /* test_v2.c */                                       \
  X(trace_calls)                                                              \
  X(migrate_v1)                                                               \
  X(migrate_refused)                                                           \
  X(upgrade_v2)         /* test_v3.c */                                       \
  X(device_counts)                                                            \
  X(outcome_list)       /* test_lists.c */                                    \
  X(route_names)

#define DB_TEST_DECLARE(name) void test_##name(void);
DB_TEST_CASES(DB_TEST_DECLARE)
#undef DB_TEST_DECLARE

/* argv of test_store: the store_writer program and db/schema.sql. */
extern const char *test_writer_path;
extern const char *test_schema_path;

#endif
