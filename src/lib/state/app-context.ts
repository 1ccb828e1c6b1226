/** The app-wide state handed from the root layout to pages through Svelte context (typed). */
import { getContext, setContext } from 'svelte';
import type { TypedPocketBase } from '../pb/client';
import type { StudioApi } from '../pb/studios';
import type { AccountMail } from './account-mail.svelte';
import type { AuthState } from './auth.svelte';
import type { LocaleState } from './locale.svelte';
import type { ThemeState } from './theme.svelte';

export interface AppContext {
  pb: TypedPocketBase;
  auth: AuthState;
  studios: StudioApi;
  mail: AccountMail;
  theme: ThemeState;
  i18n: LocaleState;
}

const KEY = Symbol('bandmesh-app');

export function setAppContext(context: AppContext): AppContext {
  return setContext(KEY, context);
}

export function getAppContext(): AppContext {
  const context = getContext<AppContext | undefined>(KEY);
  if (!context) throw new Error('getAppContext() called outside the root layout');
  return context;
}
