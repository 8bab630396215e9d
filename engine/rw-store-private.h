/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sqlite3.h>

#include "rw-store.h"

G_BEGIN_DECLS

/* SQL, which only the store's own files write. */
GPtrArray  *_rw_store_query             (RwStore        *self,
                                        const char     *sql,
                                        const char * const *params,
                                        GError        **error);

/* A row of _rw_store_query_each(), valid during the call it is passed to. */
typedef struct _RwStoreRow RwStoreRow;
typedef gboolean (*RwStoreRowFunc) (RwStoreRow *row,
                                    gpointer    data);

gboolean    _rw_store_query_each        (RwStore        *self,
                                        const char     *sql,
                                        const char * const *params,
                                        RwStoreRowFunc  func,
                                        gpointer        data,
                                        GError        **error);
gboolean    _rw_store_query_each_n      (RwStore        *self,
                                        const char     *sql,
                                        const char * const *params,
                                        guint           n_params,
                                        RwStoreRowFunc  func,
                                        gpointer        data,
                                        GError        **error);
gboolean    _rw_store_row_is_null       (RwStoreRow     *row,
                                        int             column);
const char *_rw_store_row_text          (RwStoreRow     *row,
                                        int             column);
double      _rw_store_row_double        (RwStoreRow     *row,
                                        int             column);
gint64      _rw_store_row_int           (RwStoreRow     *row,
                                        int             column);


/* What the files of RwStore share: its instance, the queued writes, and the functions one file
 * gives the others. */

typedef enum { VAL_NULL, VAL_INT, VAL_DOUBLE, VAL_TEXT } RwStoreValType;

typedef struct
{
  RwStoreValType type;
  gint64 i;
  double d;
  char *s;
} RwStoreVal;

typedef enum { OP_EXEC, OP_FLUSH, OP_QUIT, OP_CALL } RwStoreOpKind;

typedef struct
{
  GMutex mutex;
  GCond cond;
  gboolean done;
  gboolean keep_error;  /* only wait: a failed write stays for the next real flush */
  char *error;
  GTask *task;          /* returned to, instead of signalled, by rw_store_when_stored_async() */
} RwStoreFlush;

#define MAX_VALS 24

/* How long a write waits for another program's to finish. */
#define BUSY_TIMEOUT_MS 10000

typedef struct _RwStoreOp
{
  RwStoreOpKind kind;
  const char *sql;
  guint n_vals;
  RwStoreVal vals[MAX_VALS];
  RwStoreFlush *flush;
  RwStoreJobFunc func;      /* OP_CALL */
  gpointer data;
  GDestroyNotify destroy;
  /* Writes queued in the same group, committed in the same transaction. */
  struct _RwStoreOp *next;
} RwStoreOp;

#define PROMPT_QUEUED            GINT_TO_POINTER (1)
#define PROMPT_QUEUED_WITH_TASK  GINT_TO_POINTER (2)
#define PROMPTS_QUEUED_MAX       4096

struct _RwStore
{
  GObject parent_instance;

  char *path;
  sqlite3 *db;
  GThread *writer;
  GAsyncQueue *queue;
  GHashTable *stmts;    /* sql -> sqlite3_stmt, writer thread only */
  /* A read-only connection kept open for queries, and its prepared statements (sql -> stmt),
   * under reader_lock. A thread that finds it taken opens one of its own for the query. */
  GMutex reader_lock;
  sqlite3 *reader;
  GHashTable *reader_stmts;
  GMutex lock;          /* for write_error and prompts_queued */
  char *write_error;    /* the first failed write since the last flush */
  guint n_write_errors; /* failed writes since opening */
  GPtrArray *unit;      /* writer thread: the writes a running job made (RwStoreOp) */
  /* Prompts queued lately, under lock: id -> PROMPT_QUEUED or PROMPT_QUEUED_WITH_TASK.
   * The same prompt again (a client's retry, an evaluation's next model) is not written twice.
   * Forgotten on a failed write, which may have lost one. */
  GHashTable *prompts_queued;
  int schema_version;
  gboolean closed;
  /* The log is folded into the database on a thread and connection of its own, so that the
   * writer never waits for it. Under ckpt_lock: what the last commit left in the log. */
  GThread *checkpointer;
  GMutex ckpt_lock;
  GCond ckpt_cond;
  int ckpt_pages;
  gint64 ckpt_commit_us;
  gboolean ckpt_quit;
  guint ckpt_count;
  gint group_commit;
  /* Between rw_store_begin_group() and rw_store_end_group(), the writes of that thread. */
  GThread *group_thread;
  RwStoreOp *group_head;
  RwStoreOp *group_tail;
};

/* A statement of a read. */
typedef struct
{
  sqlite3 *db;
  sqlite3_stmt *stmt;
  gboolean shared;      /* the store's reader, held under reader_lock */
} RwStoreReadStmt;

sqlite3 * _rw_store_open_db             (const char *path,
                                         int target_version,
                                         int *version_out,
                                         GError **error);
RwStoreOp *      _rw_store_op_new              (const char *sql);
void      _rw_store_op_text             (RwStoreOp *op,
                                         const char *s);
void      _rw_store_op_int              (RwStoreOp *op,
                                         gint64 v);
void      _rw_store_op_int_or_null      (RwStoreOp *op,
                                         gint64 v);
void      _rw_store_op_double_or_null   (RwStoreOp *op,
                                         double v);
char *    _rw_store_new_id              (void);
gint64    _rw_store_now_ms              (void);
int       _rw_store_wal_committed       (gpointer data,
                                         sqlite3 *db,
                                         const char *name,
                                         int pages);
gpointer  _rw_store_checkpointer_thread (gpointer data);
gpointer  _rw_store_writer_thread       (gpointer data);
void      _rw_store_enqueue             (RwStore *self,
                                         RwStoreOp *op);
gboolean  _rw_store_wait_for_writes     (RwStore *self,
                                         gboolean keep_error,
                                         GError **error);
gboolean  _rw_store_read_stmt_take      (RwStore *self,
                                         const char *sql,
                                         RwStoreReadStmt *r,
                                         GError **error);
void      _rw_store_read_stmt_give      (RwStore *self,
                                         RwStoreReadStmt *r);

typedef struct
{
  GPtrArray *out;
  gpointer (*make) (RwStoreRow *row);
} RwStoreCollect;

RwStoredResponse *_rw_store_response_new (void);
char      *_rw_store_row_dup          (RwStoreRow          *row,
                                       int                  column);
gint64     _rw_store_row_int_or_unset (RwStoreRow          *row,
                                       int                  column);
gboolean   _rw_store_row_collect      (RwStoreRow          *row,
                                       gpointer             data);
GPtrArray *_rw_store_list_n           (RwStore             *self,
                                       const char          *sql,
                                       const char * const  *params,
                                       guint                n_params,
                                       gpointer           (*make) (RwStoreRow *row),
                                       GDestroyNotify       free_func,
                                       GError             **error);
GPtrArray *_rw_store_list             (RwStore             *self,
                                       const char          *sql,
                                       const char * const  *params,
                                       gpointer           (*make) (RwStoreRow *row),
                                       GDestroyNotify       free_func,
                                       GError             **error);

gboolean _rw_store_create_at_version (const char  *path,
                                      int          version,
                                      GError     **error);
guint    _rw_store_wait_checkpoints  (RwStore     *self,
                                      guint        after,
                                      gint64       timeout_us);

G_END_DECLS
