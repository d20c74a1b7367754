/** The sign-in form: Username, Password, Sign in. */
import { useState } from 'preact/hooks';
import { FormAlert, NO_PROBLEMS, TextField, failure, problems, type Problems } from './forms';
import { signIn } from './session';

export function SignIn({ onSignedIn, notice }: { readonly onSignedIn: () => void; readonly notice?: string }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Problems>(NO_PROBLEMS);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const result = await signIn(username, password);
      if (result.ok) {
        setPassword('');
        onSignedIn();
        return;
      }
      setErrors(problems(result.error, result.status, ['username', 'password']));
    } catch (err) {
      setErrors(failure(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="signin">
      <h1>Little Lemon admin</h1>
      <form onSubmit={submit} noValidate>
        <h2>Sign in</h2>
        {notice ? <p class="notice">{notice}</p> : null}
        <FormAlert messages={errors.form} />
        <TextField id="signin-username" label="Username" value={username} onValue={setUsername} errors={errors.fields.username} autoComplete="username" spellcheck={false} required />
        <TextField id="signin-password" label="Password" type="password" value={password} onValue={setPassword} errors={errors.fields.password} autoComplete="current-password" required />
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
