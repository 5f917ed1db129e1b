-- PDFs (issue 13): what agents see of a PDF without form fields, whose pages beside cannot
-- tell apart. A PDF with form fields is hidden from agents whatever this says.
--   pdf_view: 'show' (agents see it like any page) or 'hide' (agents see that a PDF is shown,
--   never its pixels).

ALTER TABLE companies ADD COLUMN pdf_view TEXT NOT NULL DEFAULT 'show'
    CHECK (pdf_view IN ('show', 'hide'));
