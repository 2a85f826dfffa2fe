// "Sign in with your organisation's account": Firebase Authentication (the vendored compat SDK)
// signs the person in with the provider this deployment names (FIREBASE_WEB_PROVIDER: google.com,
// microsoft.com, or saml.* / oidc.* through Identity Platform), in a pop-up, or by redirect where a
// pop-up is blocked. The ID token it gives is posted with the page's CSRF token to
// /coach/sign-in/firebase/, which checks it as the phone's sign-in does and opens a session.
// The browser's Firebase sign-in is ended at once: the page's session is the one that counts.
(function () {
  const form = document.getElementById("firebase-sign-in");
  if (!form) return;
  const config = JSON.parse(document.getElementById("firebase-web-config").textContent);
  const auth = firebase
    .initializeApp({ apiKey: config.apiKey, authDomain: config.authDomain, projectId: config.projectId })
    .auth();
  const problem = document.getElementById("firebase-sign-in-problem");

  function provider(id) {
    if (id === "google.com") return new firebase.auth.GoogleAuthProvider();
    if (id.startsWith("saml.")) return new firebase.auth.SAMLAuthProvider(id);
    return new firebase.auth.OAuthProvider(id); // microsoft.com, oidc.*, and Firebase's other OAuth providers
  }

  async function signInWith(user) {
    form.elements.id_token.value = await user.getIdToken();
    await auth.signOut();
    form.submit();
  }

  function show(error) {
    if (error.code === "auth/popup-closed-by-user" || error.code === "auth/cancelled-popup-request") return;
    problem.textContent = "Signing in with your organisation's account did not work (" + error.code + "); try again.";
    problem.hidden = false;
  }

  // Back from a redirect sign-in: finish it.
  auth.getRedirectResult().then((result) => result.user && signInWith(result.user)).catch(show);

  form.querySelector("button").addEventListener("click", () => {
    problem.hidden = true;
    const chosen = provider(config.provider);
    auth.signInWithPopup(chosen).then((result) => signInWith(result.user)).catch((error) => {
      if (error.code === "auth/popup-blocked" || error.code === "auth/operation-not-supported-in-environment") {
        return auth.signInWithRedirect(chosen).catch(show);
      }
      show(error);
    });
  });
})();
