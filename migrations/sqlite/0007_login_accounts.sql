-- Login throttling counts per account, whatever identifies it (username or e-mail), not
-- per typed text: `account` is `user:ID` for a known user, else `login:` and the text.
ALTER TABLE login_attempts ADD COLUMN account TEXT;
UPDATE login_attempts SET account = 'login:' || username;
CREATE INDEX login_attempts_account ON login_attempts (account, attempted_at);
