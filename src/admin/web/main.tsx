/** The admin console's entry point (bundled by scripts/buildAdmin.ts into dist/admin/app.js and app.css). */
import './app.css';
import { render } from 'preact';
import { App } from './app';

const root = document.getElementById('app');
if (root) render(<App />, root);
