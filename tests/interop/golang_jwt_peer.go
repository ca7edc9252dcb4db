// Decodes jwtguard tokens with golang-jwt's StandardClaims, the claims
// type most Go services use: its iat, nbf and exp are int64, so a
// fractional NumericDate cannot even be parsed.
//
// Reads {"secret": ..., "tokens": [...]} on stdin; prints one line per
// token, "ok" or golang-jwt's error, and exits 1 if any token was refused.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/golang-jwt/jwt"
)

func main() {
	var request struct {
		Secret string   `json:"secret"`
		Tokens []string `json:"tokens"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&request); err != nil {
		fmt.Println("bad input:", err)
		os.Exit(2)
	}
	refused := 0
	for _, token := range request.Tokens {
		var claims jwt.StandardClaims
		_, err := jwt.ParseWithClaims(token, &claims, func(t *jwt.Token) (interface{}, error) {
			if t.Method != jwt.SigningMethodHS256 {
				return nil, fmt.Errorf("unexpected alg %v", t.Header["alg"])
			}
			return []byte(request.Secret), nil
		})
		if err == nil && (claims.IssuedAt == 0 || claims.ExpiresAt == 0 || claims.Subject == "") {
			err = fmt.Errorf("claims missing: %+v", claims)
		}
		if err != nil {
			refused++
			fmt.Println(err)
		} else {
			fmt.Println("ok")
		}
	}
	if refused > 0 {
		os.Exit(1)
	}
}
