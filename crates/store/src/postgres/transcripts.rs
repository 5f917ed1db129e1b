//! The `chat_transcripts` table in PostgreSQL.

use model::SessionId;

use super::{ms, Postgres};
use crate::transcripts::{entry_twice, unknown_session};
use crate::{StoreError, TranscriptEntry};

impl Postgres {
    pub(crate) async fn save_transcript(
        &self,
        session: &SessionId,
        entries: &[TranscriptEntry],
    ) -> Result<(), StoreError> {
        let context = "keeping a chat transcript";
        let mut tx = self.pool.begin().await.map_err(StoreError::database(context))?;
        sqlx::query("DELETE FROM chat_transcripts WHERE session_id = $1")
            .bind(session.as_str())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::database(context))?;
        for e in entries {
            sqlx::query(
                "INSERT INTO chat_transcripts (session_id, seq, at, kind, role, name, body) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(session.as_str())
            .bind(e.seq)
            .bind(ms(e.at))
            .bind(e.kind.as_str())
            .bind(e.role.as_str())
            .bind(&e.name)
            .bind(&e.body)
            .execute(&mut *tx)
            .await
            .map_err(crate::error::write_error(
                context,
                || entry_twice(e.seq),
                || unknown_session(session),
            ))?;
        }
        tx.commit().await.map_err(StoreError::database(context))
    }

    pub(crate) async fn transcript(
        &self,
        session: &SessionId,
    ) -> Result<Vec<TranscriptEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, at, kind, role, name, body FROM chat_transcripts \
             WHERE session_id = $1 ORDER BY seq",
        )
        .bind(session.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::database("reading a chat transcript"))?;
        rows.iter().map(TranscriptEntry::from_row).collect()
    }
}
